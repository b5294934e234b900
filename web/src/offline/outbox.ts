import type { OutboxItem, OutboxStore } from './outbox-store';
import type { WebMessageFragment } from '../gql/graphql';

/** `reason`: the error's extensions.reason, e.g. BLOCKED. */
export type SendOutcome = { kind: 'sent'; message: WebMessageFragment } | { kind: 'failed'; message: string; reason?: string } | { kind: 'retry' };

/** Sends one item: text or image, with its clientMessageId. */
export type Sender = (item: OutboxItem, onProgress: (fraction: number) => void) => Promise<SendOutcome>;

export interface OutboxState {
  items: readonly OutboxItem[];
  /** Upload progress (0..1) of image items being sent. */
  progress: ReadonlyMap<string, number>;
}

/** While anything waits, retry this often even without an online/reconnect signal. */
const RETRY_EVERY_MS = 3000;

/**
 * The viewer's unanswered sends. Each is kept (in IndexedDB) until the service answers: a
 * message is `sent` into the cache by `onSent`; an error answer marks it failed; no answer
 * keeps it pending and it is sent again with the same clientMessageId on the next flush (on
 * reconnect, on the browser's online event, and every few seconds), so it is stored once.
 */
export class Outbox {
  private state: OutboxState = { items: [], progress: new Map() };
  private readonly listeners = new Set<() => void>();
  private readonly inFlight = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  readonly ready: Promise<void>;

  constructor(
    private readonly store: OutboxStore,
    private readonly sender: Sender,
    private readonly onSent: (message: WebMessageFragment) => void,
  ) {
    this.ready = store.all().then((items) => {
      this.set({ ...this.state, items: [...items, ...this.state.items.filter((i) => !items.some((s) => s.clientMessageId === i.clientMessageId))] });
      void this.flush();
    });
  }

  get = (): OutboxState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Queues a new send and tries it at once. */
  async send(input: { conversationId: string; content: string; image?: Blob; replyToId?: string }): Promise<void> {
    const item: OutboxItem = { clientMessageId: crypto.randomUUID(), createdAt: new Date().toISOString(), ...input };
    this.set({ ...this.state, items: [...this.state.items, item] });
    await this.store.put(item).catch(() => undefined);
    await this.attempt(item);
  }

  /** Retries every pending item that is not being sent right now. */
  async flush(): Promise<void> {
    await Promise.all(this.state.items.filter((item) => !item.failed).map((item) => this.attempt(item)));
  }

  /** Drops a failed item (the user dismissed it). */
  async discard(clientMessageId: string): Promise<void> {
    this.set({ ...this.state, items: this.state.items.filter((i) => i.clientMessageId !== clientMessageId) });
    await this.store.remove(clientMessageId);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async attempt(item: OutboxItem): Promise<void> {
    if (this.inFlight.has(item.clientMessageId)) return;
    this.inFlight.add(item.clientMessageId);
    let outcome: SendOutcome;
    try {
      outcome = await this.sender(item, (fraction) => this.setProgress(item.clientMessageId, fraction));
    } catch {
      outcome = { kind: 'retry' };
    } finally {
      this.inFlight.delete(item.clientMessageId);
    }
    if (outcome.kind === 'sent') {
      this.onSent(outcome.message);
      await this.discard(item.clientMessageId);
    } else if (outcome.kind === 'failed') {
      const failed = { ...item, failed: true };
      this.set({ ...this.state, items: this.state.items.map((i) => (i.clientMessageId === item.clientMessageId ? failed : i)) });
      await this.store.put(failed).catch(() => undefined);
    } else {
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.state.items.some((item) => !item.failed)) void this.flush();
      else this.stop();
    }, RETRY_EVERY_MS);
  }

  private setProgress(clientMessageId: string, fraction: number): void {
    const progress = new Map(this.state.progress);
    progress.set(clientMessageId, fraction);
    this.set({ ...this.state, progress });
  }

  private set(state: OutboxState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }
}
