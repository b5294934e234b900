import type { PresenceTracker } from '../realtime/presence';
import { PresenceStatus } from '../schema/common/enums';
import type { Message } from '../schema/message/message.entity';

interface Pending<T> {
  message: Message;
  participantIds: [string, string];
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/**
 * Holds the push decisions of new messages for a moment, so that they run after the sender's
 * answer has been written, and asks presence about a whole batch of recipients at once (one
 * Redis MGET for every message of the last few milliseconds, instead of one per message).
 */
export class PushDecisionQueue<T> {
  private pending: Pending<T>[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly presence: PresenceTracker,
    private readonly decideOne: (message: Message, participantIds: [string, string], recipientOnline: boolean) => Promise<T>,
    private readonly delayMs = 2,
  ) {}

  /** Resolves with the decision once it has been taken (and written). */
  decide(message: Message, participantIds: [string, string]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ message, participantIds, resolve, reject });
      this.timer ??= setTimeout(() => void this.flush(), this.delayMs);
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.timer = null;
    // System messages never push: they need no presence.
    const recipients = batch.map(({ message, participantIds }) => (message.sender ? participantIds.find((id) => id !== message.sender!.id) : undefined));
    const unique = [...new Set(recipients.filter((id): id is string => id !== undefined))];
    let statuses: PresenceStatus[];
    try {
      statuses = unique.length > 0 ? await this.presence.statusOf(unique) : [];
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    const online = new Set(unique.filter((_, i) => statuses[i] === PresenceStatus.ONLINE));
    await Promise.all(
      batch.map((item, i) => this.decideOne(item.message, item.participantIds, recipients[i] !== undefined && online.has(recipients[i]!)).then(item.resolve, item.reject)),
    );
  }
}
