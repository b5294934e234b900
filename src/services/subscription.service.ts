import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../errors';
import type { Logger } from '../observability/logger';
import { mapIterator } from '../realtime/iterators';
import { DuplicateFilter } from '../realtime/duplicate-filter';
import { MergedSubscription } from '../realtime/merged-subscription';
import type { PubSub } from '../realtime/pubsub';
import { replayThenLive } from '../realtime/replay-then-live';
import {
  topics,
  type ConversationEventPayload,
  type MessagePayload,
  type PresencePayload,
  type ReadReceiptPayload,
  type TypingPayload,
} from '../realtime/topics';
import { ConversationEventKind } from '../schema/common/enums';
import type { Message } from '../schema/message/message.entity';
import type { ConversationService } from './conversation.service';
import { fromMessagePayload, toMessagePayload } from './event-publisher';
import { FULL_MESSAGE_SELECT, otherParticipantId, participantIds, toFullMessage, type Row } from './rows';
import type { ServiceDeps } from './service-deps';

/** A message as a subscription delivers it; `committedAt` (epoch ms) only for live ones. */
export interface DeliveredMessage {
  message: Message;
  committedAt: number | null;
}

/** Stored messages replayed per database round trip. */
const REPLAY_PAGE_SIZE = 200;
/**
 * Contacts whose presence one `presenceChanged` follows: those of the most recently active
 * conversations. Bounds the pub/sub subscriptions a single client can make the server hold.
 */
export const PRESENCE_MAX_CONTACTS = 1000;

/**
 * Opens the realtime streams of CONTRACT.md "Realtime", GraphQL-free. Every method checks
 * access before it subscribes (outsiders get NOT_FOUND, as over HTTP) and subscribes only to
 * topics of the viewer or of a conversation of theirs, so events reach only those who may see
 * them. The returned iterators release their pub/sub subscription in `return()`.
 */
export class SubscriptionService {
  constructor(
    private readonly deps: Pick<ServiceDeps, 'orm' | 'pubsub' | 'logger'>,
    private readonly conversations: ConversationService,
  ) {}

  private get pubsub(): PubSub {
    return this.deps.pubsub;
  }

  private get logger(): Logger {
    return this.deps.logger;
  }

  /**
   * New messages of one conversation, or of all the viewer's conversations (their own
   * included) without `conversationId`. With `afterSequence`: stored ones first, gapless.
   */
  async messages(
    em: EntityManager,
    viewerId: string,
    conversationId?: string | null,
    afterSequence?: number | null,
  ): Promise<AsyncIterableIterator<DeliveredMessage>> {
    const live = (payload: MessagePayload): DeliveredMessage => ({ message: fromMessagePayload(payload), committedAt: payload.committedAt });
    const duplicates = new DuplicateFilter();
    const liveOnce = (payload: MessagePayload) => (duplicates.firstTime(payload.conversationId, payload.sequence) ? live(payload) : undefined);
    if (!conversationId) {
      if (afterSequence != null) throw badInput('afterSequence needs a conversationId', 'afterSequence');
      const subscription = this.pubsub.subscribe(topics.userMessages(viewerId));
      await subscription.ready;
      return mapIterator(subscription, liveOnce);
    }
    if (afterSequence != null && afterSequence < 0) throw badInput('afterSequence must be 0 or more', 'afterSequence');
    const conversation = await this.conversations.getForViewer(em, viewerId, conversationId);
    const subscription = this.pubsub.subscribe(topics.conversationMessages(conversation.id));
    if (afterSequence == null) {
      await subscription.ready;
      return mapIterator(subscription, liveOnce);
    }
    const participants = participantIds(conversation);
    const load = async (after: number, before: number | null, limit: number) => {
      const stored = await this.storedMessages(conversation.id, after, before, limit);
      return stored.map((message) => toMessagePayload(message, participants));
    };
    const deliveries = replayThenLive(subscription, afterSequence, load, REPLAY_PAGE_SIZE);
    return mapIterator(deliveries, ({ item, replayed }) => (replayed ? { message: fromMessagePayload(item), committedAt: null } : live(item)));
  }

  /** Read receipts of one conversation, or of all the viewer's conversations. */
  async reads(em: EntityManager, viewerId: string, conversationId?: string | null): Promise<AsyncIterableIterator<ReadReceiptPayload>> {
    const topic = conversationId
      ? topics.conversationReads((await this.conversations.getForViewer(em, viewerId, conversationId)).id)
      : topics.userReads(viewerId);
    const subscription = this.pubsub.subscribe(topic);
    await subscription.ready;
    return subscription;
  }

  /** The other participant's typing in one conversation; the viewer's own events are dropped here. */
  async typing(em: EntityManager, viewerId: string, conversationId: string): Promise<AsyncIterableIterator<TypingPayload>> {
    const conversation = await this.conversations.getForViewer(em, viewerId, conversationId);
    const subscription = this.pubsub.subscribe(topics.conversationTyping(conversation.id));
    await subscription.ready;
    return mapIterator(subscription, (event) => (event.userId === viewerId ? undefined : event));
  }

  /** Created, updated, archived and unarchived conversations of the viewer. */
  async conversationEvents(viewerId: string): Promise<AsyncIterableIterator<ConversationEventPayload>> {
    const subscription = this.pubsub.subscribe(topics.userConversationEvents(viewerId));
    await subscription.ready;
    return subscription;
  }

  /**
   * Presence changes of the people the viewer shares a conversation with: one topic per
   * contact, looked up when the subscription starts. The viewer's conversation events are
   * followed first, so a conversation created meanwhile is in the lookup or in the events,
   * and its new contact is added as it is created.
   */
  async presence(viewerId: string): Promise<AsyncIterableIterator<PresencePayload>> {
    const control = this.pubsub.subscribe(topics.userConversationEvents(viewerId));
    const merged = new MergedSubscription<PresencePayload>(() => void control.return?.());
    const followed = new Set<string>();
    const follow = async (userId: string) => {
      if (followed.has(userId) || followed.size >= PRESENCE_MAX_CONTACTS || merged.isClosed) return;
      followed.add(userId);
      await merged.add(this.pubsub.subscribe(topics.userPresence(userId)));
    };
    try {
      await control.ready;
      await Promise.all((await this.contacts(viewerId)).map(follow));
    } catch (error) {
      await merged.return();
      throw error;
    }
    void this.followNewContacts(control, viewerId, follow);
    return merged;
  }

  private async followNewContacts(
    control: AsyncIterable<ConversationEventPayload>,
    viewerId: string,
    follow: (userId: string) => Promise<void>,
  ): Promise<void> {
    try {
      for await (const event of control) {
        if (event.kind !== ConversationEventKind.CREATED) continue;
        try {
          const conversation = await this.conversations.getForViewer(this.fork(), viewerId, event.conversationId);
          await follow(otherParticipantId(conversation, viewerId));
        } catch (error) {
          this.logger.warn({ err: error, userId: viewerId, conversationId: event.conversationId }, 'could not follow a new contact');
        }
      }
    } catch (error) {
      // The control subscription failed (e.g. too slow): presence already followed keeps flowing.
      this.logger.warn({ err: error, userId: viewerId }, 'presence subscription stopped following new contacts');
    }
  }

  /** The other participants of the viewer's most recently active conversations. */
  private async contacts(viewerId: string): Promise<string[]> {
    const rows: Row[] = await this.fork().execute(
      `select other from (
         select participant_b_id as other, activity_at from conversations where participant_a_id = ?
         union all
         select participant_a_id as other, activity_at from conversations where participant_b_id = ?
       ) as mine group by other order by max(activity_at) desc limit ?`,
      [viewerId, viewerId, PRESENCE_MAX_CONTACTS],
    );
    return rows.map((row) => String(row.other));
  }

  /** A page of history for the replay, in a fresh fork so a long-lived subscription holds no entities. */
  private async storedMessages(conversationId: string, after: number, before: number | null, limit: number): Promise<Message[]> {
    const em = this.fork();
    const rows: Row[] = await em.execute(
      `${FULL_MESSAGE_SELECT}
       where m.conversation_id = ? and m.sequence > ? and (?::int is null or m.sequence < ?)
       order by m.sequence asc limit ?`,
      [conversationId, after, before, before, limit],
    );
    return rows.map((row) => toFullMessage(row));
  }

  private fork(): EntityManager {
    return this.deps.orm.em.fork() as EntityManager;
  }
}
