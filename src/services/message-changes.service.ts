import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, forbidden } from '../errors';
import { MessageType } from '../schema/common/enums';
import type { MessageFlag } from '../schema/common/safety-enums';
import type { Message } from '../schema/message/message.entity';
import { applyContactInfoPolicy, type ContactInfoPolicy } from './detection';
import { isSingleEmoji } from './emoji';
import type { ImageStorageService } from './image-storage.service';
import type { ChangeTarget, MessageChangeStore } from './message-change-store';
import type { SendPipeline } from './send-pipeline';

/** At most this many distinct emoji on one message (CONTRACT.md). */
export const MAX_DISTINCT_REACTIONS = 20;

export interface MessageChangeServiceOptions {
  pipeline: SendPipeline;
  store: MessageChangeStore;
  imageStorage: ImageStorageService;
  /** How long after `createdAt` the sender may edit or delete (MESSAGE_EDIT_WINDOW_MINUTES). */
  editWindowMinutes: number;
  /** The send's own content rules: text content, and an image's caption (empty: none). */
  checkContent: (raw: string) => string;
  checkCaption: (raw: string) => string | null;
  /** CONTACT_INFO_POLICY: an edit is checked as a send is (CONTRACT.md "Detection"). */
  contactInfoPolicy: ContactInfoPolicy;
  now?: () => Date;
}

/**
 * editMessage, deleteMessage, addReaction and removeReaction: each a command of the send
 * pipeline's `change` (membership, its checks, one transaction with the next revision, then
 * messageUpdated). CONTRACT.md "Editing, deleting, replies and reactions".
 */
export class MessageChangeService {
  constructor(private readonly options: MessageChangeServiceOptions) {}

  /** The sender, on TEXT content or an IMAGE caption, within the window; a tombstone cannot be edited. */
  edit(em: EntityManager, actorId: string, messageId: string, rawContent: string): Promise<Message> {
    let content: string | null = null;
    let flags: MessageFlag[] = [];
    return this.options.pipeline.change(em, {
      messageId,
      actorId,
      check: (target) => {
        this.checkSendersOwn(target, actorId);
        if (target.deletedAt) throw forbidden('A deleted message cannot be edited');
        this.checkWindow(target);
        const isCaption = target.type === MessageType.IMAGE;
        const checked = isCaption ? this.options.checkCaption(rawContent) : this.options.checkContent(rawContent);
        // Detection runs on the new text, as on a send: `block` refuses the edit before anything changes.
        const detected = checked === null ? null : applyContactInfoPolicy(checked, this.options.contactInfoPolicy, isCaption ? 'caption' : 'content');
        content = detected?.text ?? null;
        flags = detected?.flags ?? [];
        return content !== target.content;
      },
      apply: async (sql, target) => {
        await this.options.store.edit(sql, target.id, content, flags);
        return true;
      },
    });
  }

  /** The sender, within the window; deleting a tombstone again answers it and changes nothing. */
  delete(em: EntityManager, actorId: string, messageId: string): Promise<Message> {
    return this.options.pipeline.change(em, {
      messageId,
      actorId,
      check: (target) => {
        this.checkSendersOwn(target, actorId);
        if (target.deletedAt) return false;
        this.checkWindow(target);
        return true;
      },
      apply: async (sql, target) => {
        await this.options.store.tombstone(sql, target.id);
        return true;
      },
      // After the commit: an object whose delete fails is logged as orphaned, the tombstone stays.
      afterCommit: (target) => this.options.imageStorage.removeQuietly(target.imageKeys),
    });
  }

  /** Either participant, one emoji, on a message that is not deleted; at most 20 distinct emoji; not between a blocked pair. */
  addReaction(em: EntityManager, actorId: string, messageId: string, emoji: string): Promise<Message> {
    const { store } = this.options;
    return this.options.pipeline.change(em, {
      messageId,
      actorId,
      // CONTRACT.md "Blocking": addReaction is refused while either blocks the other (removing
      // one's own reaction, editing and deleting one's own message are not).
      refusedWhenBlocked: true,
      check: (target) => {
        checkReactable(target, emoji);
        return true;
      },
      apply: async (sql, target) => {
        const state = await store.reactionState(sql, target.id, emoji);
        if (!state.present && state.distinct >= MAX_DISTINCT_REACTIONS) {
          throw badInput(`A message has at most ${MAX_DISTINCT_REACTIONS} different emoji`, 'emoji');
        }
        return store.addReaction(sql, target.id, actorId, emoji);
      },
    });
  }

  /** Either participant's own reaction; removing a missing one changes nothing. */
  removeReaction(em: EntityManager, actorId: string, messageId: string, emoji: string): Promise<Message> {
    return this.options.pipeline.change(em, {
      messageId,
      actorId,
      check: (target) => {
        checkReactable(target, emoji);
        return true;
      },
      apply: (sql, target) => this.options.store.removeReaction(sql, target.id, actorId, emoji),
    });
  }

  private checkSendersOwn(target: ChangeTarget, actorId: string): void {
    if (target.type === MessageType.SYSTEM) throw forbidden('System messages cannot be changed');
    if (target.senderId !== actorId) throw forbidden('Only the sender may change a message');
  }

  private checkWindow(target: ChangeTarget): void {
    const now = this.options.now?.() ?? new Date();
    if (now.getTime() - target.createdAt.getTime() > this.options.editWindowMinutes * 60_000) {
      throw forbidden(`Messages can be changed for ${this.options.editWindowMinutes} minutes after they are sent`);
    }
  }
}

function checkReactable(target: ChangeTarget, emoji: string): void {
  if (!isSingleEmoji(emoji)) throw badInput('emoji must be exactly one emoji', 'emoji');
  if (target.deletedAt) throw badInput('A deleted message cannot be reacted to', 'messageId');
}
