import { isUuid } from '../auth/viewer';
import type { Sql } from '../db/sql';
import { DomainError, ErrorCode, notFound } from '../errors';
import type { Message } from '../schema/message/message.entity';
import type { MessageAnnouncer } from './message-announcer';
import type { MessageStore, NewMessage, Precheck } from './message-store';
import type { MessageRateLimiter } from './rate-limiter';

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
  /** Undoes what `prepare` left outside the database (stored objects) when nothing was stored. */
  discard?(): Promise<void>;
}

export interface SendPipelineOptions {
  sql: Sql;
  store: MessageStore;
  rateLimiter: MessageRateLimiter;
  announcer: MessageAnnouncer;
}

/**
 * The one way a user's message is sent, whatever its kind. The contract's order is
 * membership, idempotent replay, rate limit, content; the fast path gets there in one Redis
 * round trip and one SQL statement by taking the rate-limit point optimistically:
 *
 * 1. rate limit: one point (an idempotency key takes at most one, even for racing retries);
 * 2. prepare: the body's checks (content; an image's bytes);
 * 3. append: membership, replay and the write in one statement (send_message());
 * 4. announce: publish after commit, then the push decision.
 *
 * Whenever a step fails, the steps the contract puts before it are checked first (a refused or
 * invalid send to a conversation one is not in answers NOT_FOUND; a replay is answered even at
 * the limit), and the point goes back unless a message was stored.
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
    let counted: boolean;
    try {
      counted = await rateLimiter.consume(senderId, idempotencyKey);
    } catch (error) {
      if (!checked && isCode(error, ErrorCode.RATE_LIMITED)) {
        const before = answerOrPass(await precheck());
        if (before.outcome === 'REPLAYED') return { message: before.message, replayed: true };
      }
      throw error;
    }
    const giveBack = () => (counted ? rateLimiter.refund(senderId, idempotencyKey) : Promise.resolve());

    let body: Awaited<ReturnType<SendCommand['prepare']>>;
    try {
      body = await command.prepare();
    } catch (error) {
      await giveBack();
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
      // NOT_FOUND: not a participant. REPLAYED: an earlier attempt with the key stored it.
      await Promise.all([giveBack(), command.discard?.()]);
      if (result.outcome === 'NOT_FOUND') throw notFound();
      return { message: result.message, replayed: true };
    }
    await announcer.announce(result);
    return { message: result.message, replayed: false };
  }
}

/** NOT_FOUND becomes the error; a replay or OK goes on. */
function answerOrPass(check: Precheck): Exclude<Precheck, { outcome: 'NOT_FOUND' }> {
  if (check.outcome === 'NOT_FOUND') throw notFound();
  return check;
}

function isCode(error: unknown, code: ErrorCode): boolean {
  return error instanceof DomainError && error.code === code;
}
