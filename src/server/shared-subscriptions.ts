import { GraphQLError, print, subscribe, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Context } from '../context';
import { ErrorCode } from '../errors';
import { SubscriptionQueue } from '../realtime/subscription-queue';

type Source = AsyncIterator<ExecutionResult>;

/** One resolution stream and the subscriptions of one user that read it. */
interface Group {
  members: Set<SubscriptionQueue<ExecutionResult>>;
  /** The shared source, once graphql's subscribe() answered; null while it is starting. */
  source: Promise<Source | ExecutionResult>;
}

/**
 * graphql-ws's `subscribe` for this server, bounding what one user's subscriptions cost:
 *
 * - Identical subscriptions of one user on this instance (same document, variables and
 *   operation name) share ONE graphql subscription: each event is resolved once (one
 *   conversation lookup, one run of the field loaders) and the same result is sent to every
 *   socket. Before, 20 sockets x 100 `conversationEvent` subscriptions resolved each archive
 *   2,000 times. Replays (`afterSequence`) are never shared: each one starts at its own point.
 * - At most `maxPerUser` subscriptions per user on this instance, whatever the number of sockets.
 *
 * Written here rather than taken from a library: the fan-out must keep this service's
 * slow-consumer rule (a member that falls behind fails with SubscriberTooSlowError, closing its
 * socket with 4008) per member, which SubscriptionQueue already implements.
 */
export class SharedSubscriptions {
  private readonly groups = new Map<string, Group>();
  private readonly perUser = new Map<string, number>();

  constructor(private readonly options: { maxPerUser: number; maxBuffered?: number }) {}

  /** Running subscriptions of a user on this instance. */
  count(userId: string): number {
    return this.perUser.get(userId) ?? 0;
  }

  readonly subscribe = async (args: ExecutionArgs): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> => {
    const userId = (args.contextValue as Context | undefined)?.viewer?.kind === 'user' ? (args.contextValue as Context).viewer!.id : null;
    if (userId === null) return subscribe(args);
    if (this.count(userId) >= this.options.maxPerUser) {
      const message = `At most ${this.options.maxPerUser} subscriptions may run at once for one user`;
      return { errors: [new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, reason: 'TOO_MANY_SUBSCRIPTIONS', limit: this.options.maxPerUser } })] };
    }
    this.perUser.set(userId, this.count(userId) + 1);
    const released = { done: false };
    const release = () => {
      if (released.done) return;
      released.done = true;
      const left = this.count(userId) - 1;
      if (left > 0) this.perUser.set(userId, left);
      else this.perUser.delete(userId);
    };
    try {
      const document = print(args.document);
      if (/\bafterSequence\b/.test(document)) return await this.own(args, release);
      return await this.join(`${userId}\n${args.operationName ?? ''}\n${JSON.stringify(args.variableValues ?? {})}\n${document}`, args, release);
    } catch (error) {
      release();
      throw error;
    }
  };

  /** A subscription of its own, counted against the user until it ends. */
  private async own(args: ExecutionArgs, release: () => void): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> {
    const result = await subscribe(args);
    if (!isAsyncIterator(result)) {
      release();
      return result;
    }
    const member = new SubscriptionQueue<ExecutionResult>(Promise.resolve(), () => {
      release();
      void result.return?.();
    }, this.options.maxBuffered);
    void pump(result, new Set([member]));
    return member;
  }

  private async join(key: string, args: ExecutionArgs, release: () => void): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> {
    let group = this.groups.get(key);
    if (!group) {
      const created: Group = { members: new Set(), source: Promise.resolve(subscribe(args)) };
      group = created;
      this.groups.set(key, created);
      void created.source.then(
        (source) => {
          if (isAsyncIterator(source)) void pump(source, created.members).finally(() => this.forget(key, created));
          else this.forget(key, created);
        },
        () => this.forget(key, created),
      );
    }
    const source = await group.source;
    if (!isAsyncIterator(source)) {
      release();
      return source;
    }
    const joined = group;
    const member: SubscriptionQueue<ExecutionResult> = new SubscriptionQueue<ExecutionResult>(Promise.resolve(), () => {
      release();
      joined.members.delete(member);
      if (joined.members.size === 0) {
        this.forget(key, joined);
        void source.return?.();
      }
    }, this.options.maxBuffered);
    joined.members.add(member);
    return member;
  }

  private forget(key: string, group: Group): void {
    if (this.groups.get(key) === group) this.groups.delete(key);
  }
}

/** Reads the source once and hands each result to every member; its end or failure ends them all. */
async function pump(source: Source, members: Set<SubscriptionQueue<ExecutionResult>>): Promise<void> {
  try {
    for (;;) {
      const next = await source.next();
      if (next.done) break;
      for (const member of members) member.push(next.value);
    }
    for (const member of [...members]) member.end();
  } catch (error) {
    for (const member of [...members]) member.fail(error);
  }
}

function isAsyncIterator(value: unknown): value is Source {
  return typeof value === 'object' && value !== null && typeof (value as Source).next === 'function' && Symbol.asyncIterator in value;
}
