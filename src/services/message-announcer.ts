import type { Metrics } from '../observability/metrics';
import { ConversationEventKind, ConversationStatus } from '../schema/common/enums';
import type { Message } from '../schema/message/message.entity';
import type { EventPublisher } from './event-publisher';
import type { Outbox } from './outbox';

/** A committed message to announce, with the outbox rows its append wrote. */
export interface CommittedMessage {
  message: Message;
  participantIds: [string, string];
  /** Set on the fast path: an archived conversation also announces its return (its own outbox row). */
  previousStatus?: ConversationStatus;
  outboxIds: string[];
  /** Set by the outbox relay: the commit happened elsewhere or earlier (no test hooks apply). */
  relayed?: boolean;
  /** Set by the outbox relay: the push decision was taken already, only the publish failed. */
  pushDecided?: boolean;
}

export interface MessageAnnouncerOptions {
  events: EventPublisher;
  outbox: Outbox;
  metrics: Metrics;
  /** The push decision of a new message; rejects when it could not be taken. */
  decidePush: (message: Message, participantIds: [string, string]) => Promise<void>;
  /**
   * Test builds only (TEST_CRASH_AFTER_COMMIT): the process dies right after a commit, before
   * anything is published, as a SIGKILL would catch it. Proves the outbox relay's promise.
   */
  crashAfterCommit?: boolean;
  /**
   * Test builds only (TEST_HOLD_AFTER_COMMIT_MS): the send waits this long between its commit
   * and its publish, as a slow one would, so that a shutdown's drain can cut it off right there.
   */
  holdAfterCommitMs?: number;
}

/**
 * Tells the world about a committed message: subscribers first (both publishes in one
 * pipelined round trip), then the push decision, after the sender's answer. Its outbox rows
 * are acknowledged only when both are done, so a failure of either leaves them to the relay;
 * a decision taken while the publish failed is marked on the rows (the relay only publishes).
 */
export class MessageAnnouncer {
  constructor(private readonly options: MessageAnnouncerOptions) {}

  async announce({ message, participantIds, previousStatus, outboxIds, relayed, pushDecided }: CommittedMessage): Promise<void> {
    const { events, outbox, metrics, decidePush } = this.options;
    if (!relayed && this.options.crashAfterCommit) process.kill(process.pid, 'SIGKILL');
    if (!relayed && this.options.holdAfterCommitMs) await new Promise((resolve) => setTimeout(resolve, this.options.holdAfterCommitMs));
    metrics.messagesSent.inc({ type: message.type });
    const unarchived = previousStatus !== undefined && previousStatus !== ConversationStatus.ACTIVE;
    const [published, publishedUnarchive] = await Promise.all([
      events.messageSent(message, participantIds),
      unarchived ? events.conversationChanged(ConversationEventKind.UNARCHIVED, message.conversation.id, participantIds) : true,
    ]);
    const allPublished = published && publishedUnarchive;
    if (pushDecided) {
      if (allPublished) outbox.done(outboxIds);
      return;
    }
    // Not awaited: the answer goes out first; the decision waits in its queue for a moment.
    // Taken even when the publish failed: while Redis is away, push still reaches the recipient.
    void decidePush(message, participantIds).then(
      () => (allPublished ? outbox.done(outboxIds) : outbox.pushDecided(outboxIds)),
      () => {}, // logged by the notification service; the relay tries again
    );
  }
}
