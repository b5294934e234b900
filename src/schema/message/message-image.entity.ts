import { Entity, Enum, OneToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { ImageStatus } from '../common/enums';
import { Message } from './message.entity';

/**
 * The stored objects of an image message. Keys are random and reveal nothing about users;
 * URLs are signed when the field is resolved, never stored.
 */
@ObjectType()
@Entity({ tableName: 'message_images' })
export class MessageImage {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string;

  @OneToOne(() => Message, { fieldName: 'message_id', owner: true, unique: true })
  message: Message;

  @Field(() => ImageStatus)
  @Enum({ items: () => ImageStatus, nativeEnumName: 'image_status', default: ImageStatus.PENDING })
  status: ImageStatus = ImageStatus.PENDING;

  @Field(() => String)
  @Property({ type: 'text' })
  mimeType: string;

  @Field(() => Int)
  @Property({ type: 'integer' })
  sizeBytes: number;

  @Field(() => Int)
  @Property({ type: 'integer' })
  width: number;

  @Field(() => Int)
  @Property({ type: 'integer' })
  height: number;

  @Property({ type: 'text', nullable: true })
  originalKey: string | null = null;

  @Property({ type: 'text', nullable: true })
  previewKey: string | null = null;

  @Property({ type: 'text', nullable: true })
  thumbnailKey: string | null = null;

  @Field(() => Date)
  @Property({ type: 'timestamptz' })
  deleteAfter: Date;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
