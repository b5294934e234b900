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
}

/**
 * Tells the world about a committed message: subscribers first (both publishes in one
 * pipelined round trip), then the push decision, after the sender's answer. Its outbox rows
 * are acknowledged only when both are done, so a failure of either leaves them to the relay.
 */
export class MessageAnnouncer {
  constructor(private readonly options: MessageAnnouncerOptions) {}

  async announce({ message, participantIds, previousStatus, outboxIds }: CommittedMessage): Promise<void> {
    const { events, outbox, metrics, decidePush } = this.options;
    if (this.options.crashAfterCommit) process.kill(process.pid, 'SIGKILL');
    metrics.messagesSent.inc({ type: message.type });
    const unarchived = previousStatus !== undefined && previousStatus !== ConversationStatus.ACTIVE;
    const [published, publishedUnarchive] = await Promise.all([
      events.messageSent(message, participantIds),
      unarchived ? events.conversationChanged(ConversationEventKind.UNARCHIVED, message.conversation.id, participantIds) : true,
    ]);
    if (!published || !publishedUnarchive) return;
    // Not awaited: the answer goes out first; the decision waits in its queue for a moment.
    void decidePush(message, participantIds).then(
      () => outbox.done(outboxIds),
      () => {}, // logged by the notification service; the relay tries again
    );
  }
}
