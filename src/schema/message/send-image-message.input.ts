import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import { Field, ID, InputType } from 'type-graphql';

/**
 * The input of sendImageMessage. `image` is a file of a GraphQL multipart request; its value
 * is a promise of the file, whose bytes are read only after the membership and rate checks.
 */
@InputType()
export class SendImageMessageInput {
  @Field(() => ID)
  conversationId: string;

  @Field(() => GraphQLUpload, { description: 'JPEG, PNG or WebP, up to 5 MB and 40 megapixels; judged by its bytes.' })
  image: Promise<FileUpload>;

  @Field(() => String, { nullable: true, description: 'Sanitised like message content; empty means none.' })
  caption?: string | null;

  @Field(() => String, { nullable: true, description: 'Idempotency key: a retry with the same key returns the first message.' })
  clientMessageId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A message of the same conversation that this one answers.' })
  replyToId?: string | null;
}
