import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { ImageStatus } from '../schema/common/enums';
import { MessageImage } from '../schema/message/message-image.entity';
import { Message, type MessageImageView } from '../schema/message/message.entity';
import { SendImageMessageInput } from '../schema/message/send-image-message.input';
import { Role, viewerUser } from './auth-checker';

type ImageKey = 'originalKey' | 'previewKey' | 'thumbnailKey';

/**
 * Image messages: the upload mutation, and the URLs of MessageImage, which are signed when
 * resolved, never stored: each answer carries fresh, expiring ones.
 */
@Resolver(() => MessageImage)
export class MessageImageResolver {
  @Authorized(Role.USER)
  @Mutation(() => Message)
  sendImageMessage(@Arg('input', () => SendImageMessageInput) input: SendImageMessageInput, @Ctx() ctx: Context): Promise<Message> {
    return ctx.services.imageMessages.send(viewerUser(ctx).id, input);
  }

  @FieldResolver(() => String, { nullable: true, description: 'Null once the image has been deleted.' })
  originalUrl(@Root() image: MessageImage, @Ctx() ctx: Context): Promise<string | null> {
    return signedUrl(image, 'originalKey', ctx);
  }

  @FieldResolver(() => String, { nullable: true })
  previewUrl(@Root() image: MessageImage, @Ctx() ctx: Context): Promise<string | null> {
    return signedUrl(image, 'previewKey', ctx);
  }

  @FieldResolver(() => String, { nullable: true })
  thumbnailUrl(@Root() image: MessageImage, @Ctx() ctx: Context): Promise<string | null> {
    return signedUrl(image, 'thumbnailKey', ctx);
  }
}

async function signedUrl(image: MessageImageView, key: ImageKey, ctx: Context): Promise<string | null> {
  const objectKey = image[key];
  if (image.status !== ImageStatus.READY || !objectKey) return null;
  return ctx.services.imageStorage.signedUrl(objectKey);
}
