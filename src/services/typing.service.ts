import type { EntityManager } from '@mikro-orm/postgresql';
import type { Sql } from '../db/sql';
import type { Logger } from '../observability/logger';
import { assertNotBlocked } from './blocks/assert-not-blocked';
import type { PubSub } from '../realtime/pubsub';
import { topics } from '../realtime/topics';
import type { ConversationService } from './conversation.service';

/** Timings of {@link TypingService}. */
export interface TypingTimings {
  /** A `true` without refresh turns into `false` after this long (the contract says 6 s). */
  timeoutMs: number;
  /** A refresh of `true` within this long after the last published one is not published again. */
  throttleMs: number;
}

interface Typist {
  userId: string;
  conversationId: string;
  publishedAt: number;
  expiry: NodeJS.Timeout;
}

/** What {@link TypingService} is built from. */
export interface TypingServiceOptions {
  conversations: ConversationService;
  /** For the block check (assertNotBlocked). */
  sql: Sql;
  pubsub: PubSub;
  logger: Logger;
  timings: TypingTimings;
}

/**
 * setTyping: shows a user's typing to the other participant and ends it by itself.
 *
 * Cheap per keystroke: while a user types in a conversation, a refresh only re-arms the expiry
 * timer (no query, no publish) unless `throttleMs` passed since the last published `true`.
 * `false` is always published. A block refuses setTyping (FORBIDDEN, BLOCKED): checked for a
 * new typist, for `false` and before each published refresh, so a block made on any instance
 * holds within `throttleMs`. The expiry timer lives on the instance that received the call:
 * when one client's calls land on several instances, each one expires what it was told, so a
 * stray `false` can show until the next published `true` (at most `throttleMs` later). Calling
 * setTyping over the client's WebSocket, which stays on one instance, avoids that.
 */
export class TypingService {
  private readonly typists = new Map<string, Typist>();

  constructor(private readonly options: TypingServiceOptions) {}

  /** NOT_FOUND for an outsider (checked whenever something is published for a new typist). */
  async set(em: EntityManager, userId: string, conversationId: string, isTyping: boolean): Promise<void> {
    const key = `${userId}:${conversationId.toLowerCase()}`;
    const known = this.typists.get(key);
    if (!isTyping) {
      if (known) {
        this.forget(key, known);
        await assertNotBlocked(this.options.sql, known.conversationId, userId);
        return this.publish(known.conversationId, userId, false);
      }
      const conversation = await this.options.conversations.getForViewer(em, userId, conversationId);
      await assertNotBlocked(this.options.sql, conversation.id, userId);
      return this.publish(conversation.id, userId, false);
    }
    if (known) {
      this.arm(key, known);
      if (Date.now() - known.publishedAt < this.options.timings.throttleMs) return;
      // A block made meanwhile (on any instance) stops the typing it would show.
      await this.refuseIfBlocked(key, known);
      known.publishedAt = Date.now();
      return this.publish(known.conversationId, userId, true);
    }
    const conversation = await this.options.conversations.getForViewer(em, userId, conversationId);
    await assertNotBlocked(this.options.sql, conversation.id, userId);
    const raced = this.typists.get(key);
    if (raced) return this.set(em, userId, conversationId, true);
    const typist: Typist = { userId, conversationId: conversation.id, publishedAt: Date.now(), expiry: undefined as unknown as NodeJS.Timeout };
    this.typists.set(key, typist);
    this.arm(key, typist);
    return this.publish(conversation.id, userId, true);
  }

  /** Ends every typing state this instance holds, telling the other participants (graceful stop). */
  async close(): Promise<void> {
    const pending = [...this.typists.entries()];
    for (const [key, typist] of pending) this.forget(key, typist);
    await Promise.all(pending.map(([, typist]) => this.publish(typist.conversationId, typist.userId, false)));
  }

  private async refuseIfBlocked(key: string, typist: Typist): Promise<void> {
    try {
      await assertNotBlocked(this.options.sql, typist.conversationId, typist.userId);
    } catch (error) {
      this.forget(key, typist);
      throw error;
    }
  }

  private arm(key: string, typist: Typist): void {
    clearTimeout(typist.expiry);
    typist.expiry = setTimeout(() => {
      if (this.typists.get(key) !== typist) return;
      this.typists.delete(key);
      void this.publish(typist.conversationId, typist.userId, false);
    }, this.options.timings.timeoutMs);
    typist.expiry.unref();
  }

  private forget(key: string, typist: Typist): void {
    clearTimeout(typist.expiry);
    if (this.typists.get(key) === typist) this.typists.delete(key);
  }

  /** Typing is ephemeral: a failed publish is logged, never raised to the typist. */
  private async publish(conversationId: string, userId: string, isTyping: boolean): Promise<void> {
    try {
      await this.options.pubsub.publish(topics.conversationTyping(conversationId), { conversationId, userId, isTyping });
    } catch (error) {
      this.options.logger.warn({ err: error, conversationId, userId }, 'typing publish failed');
    }
  }
}
