import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { MessageType } from '../common/enums';
import { MessageFlag } from '../common/safety-enums';
import { Conversation } from '../conversation/conversation.entity';
import { User } from '../user/user.entity';
import type { MessageImage } from './message-image.entity';

/** The sender as the resolvers read it (what `User`'s fields need). */
export type SenderProfile = Pick<User, 'id' | 'displayName' | 'avatarUrl' | 'lastSeenAt'>;

/** One emoji on a message and who reacted with it, in the order they did. */
export interface ReactionRow {
  emoji: string;
  userIds: string[];
}

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

  /** What detection found in the text as written (services/detection), under every CONTACT_INFO_POLICY. */
  @Field(() => [MessageFlag])
  @Property({ type: 'text[]', default: '{}' })
  flags: MessageFlag[] = [];
  /** The message this one answers (same conversation); resolved by `replyTo` through a loader. */
  @Property({ type: 'uuid', nullable: true, fieldName: 'reply_to_id' })
  replyToId: string | null = null;

  @Field(() => Date, { nullable: true, description: 'Set each time the sender edits the content.' })
  @Property({ type: 'timestamptz', nullable: true })
  editedAt: Date | null = null;

  @Field(() => Date, { nullable: true, description: 'Set when the sender deletes it: content, image, metadata, reactions and flags are then gone.' })
  @Property({ type: 'timestamptz', nullable: true })
  deletedAt: Date | null = null;

  @Field(() => Int, {
    description:
      "0 until the message first changes; then the conversation's change counter at its last change\n(edit, deletion, reaction). The counter grows by 1 per change, without gaps: see messageUpdated.",
  })
  @Property({ type: 'integer', default: 0 })
  revision: number = 0;

  /** Not stored: the reactions carried by a send's answer or a delivery; undefined means "load them". */
  reactionRows?: ReactionRow[];

  /** Not stored: the sender's profile, read with the message or carried by a delivery, so `sender` costs no query. */
  senderProfile?: SenderProfile;

  /** Not stored: the image row carried by a send's answer or a delivery; undefined means "load it". */
  imageRow?: MessageImageView | null;
}
