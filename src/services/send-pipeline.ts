import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../auth/viewer';
import { EmSql, type Sql } from '../db/sql';
import { badInput, blocked, DomainError, ErrorCode, notFound } from '../errors';
import type { Message } from '../schema/message/message.entity';
import { assertNotBlocked } from './blocks/assert-not-blocked';
import type { EventPublisher } from './event-publisher';
import type { MessageAnnouncer } from './message-announcer';
import type { ChangeTarget, MessageChangeStore } from './message-change-store';
import type { Outbox } from './outbox';
import type { MessageStore, NewMessage, Precheck } from './message-store';
import type { MessageRateLimiter, RatePoint } from './rate-limiter';

/** What a kind of message (text, image) adds to the pipeline. */
export interface SendCommand {
  conversationId: string;
  senderId: string;
  /** Already checked with `checkClientMessageId`. */
  clientMessageId: string | null;
  /**
   * True when `prepare` is expensive (an upload is read and processed): membership and replay
   * are then checked by a statement of their own before the rate limit and `prepare`.
   */
  expensive: boolean;
  /** Checks and builds the message's body: runs after membership, replay and the rate limit. */
  prepare(): Promise<Omit<NewMessage, 'conversationId' | 'senderId' | 'clientMessageId'>>;
  /**
   * Failures of `prepare` that keep their rate-limit point (every other failure gives it back):
   * an upload that fails to decode cost the server its work, so decode attempts are limited too.
   */
  keepsPoint?: (error: unknown) => boolean;
  /** Undoes what `prepare` left outside the database (stored objects) when nothing was stored. */
  discard?(): Promise<void>;
}

/** What a kind of change (edit, delete, reaction) adds to the pipeline. */
export interface ChangeCommand {
  messageId: string;
  actorId: string;
  /**
   * True for changes the contract refuses between a blocked pair (addReaction): FORBIDDEN with
   * reason BLOCKED, checked in the change's transaction right after membership.
   */
  refusedWhenBlocked?: boolean;
  /**
   * The change's own checks, after membership (FORBIDDEN for the wrong actor, a SYSTEM message
   * or the end of the window; BAD_USER_INPUT for its input). Answers false when the change
   * would change nothing: then nothing is written or published and the current state answers.
   */
  check(target: ChangeTarget): boolean;
  /** Writes the change in the transaction; answers false when it turned out to change nothing. */
  apply(sql: Sql, target: ChangeTarget): Promise<boolean>;
  /** After the commit of a change: what lives outside the database (stored image objects). */
  afterCommit?(target: ChangeTarget): Promise<void>;
}

export interface SendPipelineOptions {
  sql: Sql;
  store: MessageStore;
  rateLimiter: MessageRateLimiter;
  announcer: MessageAnnouncer;
  changes: MessageChangeStore;
  events: EventPublisher;
  outbox: Outbox;
}

/**
 * The one way a user's message is sent, whatever its kind. The contract's order is
 * membership, blocks, idempotent replay, rate limit, content; the fast path gets there in one
 * Redis round trip and one SQL statement (send_message()) by taking the rate-limit point
 * optimistically:
 *
 * 1. rate limit: one point (an idempotency key takes at most one, even for racing retries);
 * 2. prepare: the body's checks (content; an image's bytes);
 * 3. append: membership, blocks (FORBIDDEN with reason BLOCKED while either participant blocks
 *    the other), replay and the write in one statement, under the conversation's lock;
 * 4. announce: publish after commit, then the push decision.
 *
 * Whenever a step fails, the steps the contract puts before it are checked first (a refused or
 * invalid send to a conversation one is not in answers NOT_FOUND, between a blocked pair
 * BLOCKED; a replay is answered even at the limit), and the point goes back unless a message
 * was stored. An expensive send (an upload) checks membership, blocks and replay first.
 */
export class SendPipeline {
  constructor(private readonly options: SendPipelineOptions) {}

  async send(command: SendCommand): Promise<{ message: Message; replayed: boolean }> {
    const { sql, store, rateLimiter, announcer } = this.options;
    const { conversationId, senderId, clientMessageId } = command;
    if (!isUuid(conversationId)) throw notFound();
    const id = conversationId.toLowerCase();
    const precheck = () => store.precheck(sql, id, senderId, clientMessageId);
    let checked: Precheck | null = null;
    if (command.expensive) {
      checked = answerOrPass(await precheck());
      if (checked.outcome === 'REPLAYED') return { message: checked.message, replayed: true };
    }

    const idempotencyKey = clientMessageId ? `${id}:${clientMessageId}` : undefined;
    let counted: RatePoint | null;
    try {
      counted = await rateLimiter.consume(senderId, idempotencyKey);
    } catch (error) {
      if (!checked && isCode(error, ErrorCode.RATE_LIMITED)) {
        const before = answerOrPass(await precheck());
        if (before.outcome === 'REPLAYED') return { message: before.message, replayed: true };
      }
      throw error;
    }
    const giveBack = () => (counted ? rateLimiter.refund(counted) : Promise.resolve());

    let body: Awaited<ReturnType<SendCommand['prepare']>>;
    try {
      body = await command.prepare();
    } catch (error) {
      if (!command.keepsPoint?.(error)) await giveBack();
      if (!checked && error instanceof DomainError) {
        const before = answerOrPass(await precheck());
        if (before.outcome === 'REPLAYED') return { message: before.message, replayed: true };
      }
      throw error;
    }

    let result;
    try {
      result = await store.append(sql, { ...body, conversationId: id, senderId, clientMessageId });
    } catch (error) {
      await Promise.all([giveBack(), command.discard?.()]);
      throw error;
    }
    if (result.outcome !== 'CREATED') {
      // NOT_FOUND: not a participant. BAD_REPLY: replyToId is not of this conversation. REPLAYED: an
      // earlier attempt with the key stored it; the key's point stays taken (a racing attempt that did
      // not count may be the one that stored).
      await Promise.all([result.outcome === 'REPLAYED' ? Promise.resolve() : giveBack(), command.discard?.()]);
      if (result.outcome === 'NOT_FOUND') throw notFound();
      if (result.outcome === 'BLOCKED') throw blocked();
      if (result.outcome === 'BAD_REPLY') throw badInput('replyToId must name a message of this conversation', 'replyToId');
      return { message: result.message, replayed: true };
    }
    await announcer.announce(result);
    return { message: result.message, replayed: false };
  }

  /**
   * The one way a sent message changes: membership (NOT_FOUND for outsiders and unknown ids),
   * the command's checks, then the change, the conversation's next revision and the outbox row
   * in one transaction under the conversation's row lock (the lock of send_message(), so
   * revisions are gapless and commit in order); after the commit, `messageUpdated` to both
   * participants. No push: a change is not a new message.
   */
  async change(em: EntityManager, command: ChangeCommand): Promise<Message> {
    const { changes, events, outbox } = this.options;
    if (!isUuid(command.messageId)) throw notFound('Message');
    const messageId = command.messageId.toLowerCase();
    const done = await em.transactional(async (tx) => {
      const sql = new EmSql(tx as EntityManager);
      const target = await changes.lock(sql, messageId);
      if (!target || !target.participantIds.includes(command.actorId)) throw notFound('Message');
      if (command.refusedWhenBlocked) await assertNotBlocked(sql, target.conversationId, command.actorId);
      const changed = command.check(target) && (await command.apply(sql, target));
      if (changed) await changes.nextRevision(sql, target);
      const outboxId = changed ? await outbox.recordUpdate(sql, target.id) : null;
      return { target, outboxId, message: await changes.state(sql, messageId) };
    });
    if (done.outboxId === null) return done.message;
    await command.afterCommit?.(done.target);
    if (await events.messageUpdated(done.message, done.target.participantIds)) outbox.done([done.outboxId]);
    return done.message;
  }
}

/** NOT_FOUND becomes the error; a replay or OK goes on. */
function answerOrPass(check: Precheck): Exclude<Precheck, { outcome: 'NOT_FOUND' } | { outcome: 'BLOCKED' }> {
  if (check.outcome === 'NOT_FOUND') throw notFound();
  if (check.outcome === 'BLOCKED') throw blocked();
  return check;
}

function isCode(error: unknown, code: ErrorCode): boolean {
  return error instanceof DomainError && error.code === code;
}
