import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { MessageType } from '../common/enums';
import { Conversation } from '../conversation/conversation.entity';
import { User } from '../user/user.entity';
import type { MessageImage } from './message-image.entity';

/** The sender as the resolvers read it (what `User`'s fields need). */
export type SenderProfile = Pick<User, 'id' | 'displayName' | 'avatarUrl' | 'lastSeenAt'>;

/** An image row as the resolvers read it, without its message relation. */
export type MessageImageView = Pick<
  MessageImage,
  'id' | 'status' | 'mimeType' | 'sizeBytes' | 'width' | 'height' | 'originalKey' | 'previewKey' | 'thumbnailKey' | 'deleteAfter'
>;

/**
 * One message. `sequence` numbers a conversation's messages 1, 2, 3... without gaps and is the
 * pagination key, so cursors stay stable even when timestamps are equal.
 */
@ObjectType()
@Entity({ tableName: 'messages' })
@Unique({ properties: ['conversation', 'sequence'] })
export class Message {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string;

  @ManyToOne(() => Conversation, { fieldName: 'conversation_id' })
  conversation: Conversation;

  @Field(() => Int, { description: 'Position in its conversation: 1, 2, 3, ... with no gaps.' })
  @Property({ type: 'integer' })
  sequence: number;

  @Field(() => MessageType)
  @Enum({ items: () => MessageType, nativeEnumName: 'message_type' })
  type: MessageType;

  /** Null for SYSTEM messages. */
  @ManyToOne(() => User, { fieldName: 'sender_id', nullable: true })
  sender: User | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  content: string | null = null;

  @Field(() => GraphQLJSONObject)
  @Property({ type: 'jsonb', default: '{}' })
  metadata: Record<string, unknown> = {};

  @Field(() => String, { nullable: true, description: "The sender's idempotency key, echoed back." })
  @Property({ type: 'text', nullable: true })
  clientMessageId: string | null = null;

  @Field(() => Date)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  deliveredAt: Date | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  readAt: Date | null = null;

  /** Not stored: the sender's profile, read with the message or carried by a delivery, so `sender` costs no query. */
  senderProfile?: SenderProfile;

  /** Not stored: the image row carried by a send's answer or a delivery; undefined means "load it". */
  imageRow?: MessageImageView | null;
}
