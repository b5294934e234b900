import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { ImageStatus } from '../schema/common/enums';
import { MessageImage } from '../schema/message/message-image.entity';

type ImageKey = 'originalKey' | 'previewKey' | 'thumbnailKey';

/** Image URLs are signed when resolved, never stored: each answer carries fresh, expiring ones. */
@Resolver(() => MessageImage)
export class MessageImageResolver {
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

async function signedUrl(image: MessageImage, key: ImageKey, ctx: Context): Promise<string | null> {
  const objectKey = image[key];
  const signer = ctx.services.imageUrls;
  if (image.status === ImageStatus.DELETED || !objectKey || !signer) return null;
  return signer(objectKey);
}
