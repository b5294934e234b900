import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../errors';
import type { Logger } from '../observability/logger';
import { mapIterator } from '../realtime/iterators';
import { DuplicateFilter } from '../realtime/duplicate-filter';
import { MergedSubscription } from '../realtime/merged-subscription';
import type { PubSub } from '../realtime/pubsub';
import { replayThenLive, type Position } from '../realtime/replay-then-live';
import {
  topics,
  type ConversationEventPayload,
  type MessagePayload,
  type PresencePayload,
  type ReadReceiptPayload,
  type Topic,
  type TypingPayload,
} from '../realtime/topics';
import type { Statement } from '../db/sql';
import { ConversationEventKind } from '../schema/common/enums';
import type { Message } from '../schema/message/message.entity';
import { blockStore } from './blocks/block-store';
import type { ConversationService } from './conversation.service';
import { fromMessagePayload, toMessagePayload } from './event-publisher';
import { FULL_MESSAGE_SELECT, REACTION_GROUPS_OF_MANY, groupReactions, type ReactionGroupRow, otherParticipantId, participantIds, toFullMessage, type FullMessageRow, type Row } from './rows';
import type { ServiceDeps } from './service-deps';

/** A message as a subscription delivers it; `committedAt` (epoch ms) only for live ones. */
export interface DeliveredMessage {
  message: Message;
  committedAt: number | null;
}

/** What tells messageReceived (by sequence) and messageUpdated (by revision) apart. */
interface MessageStreamKey {
  /** The resume argument, for its errors. */
  name: 'afterSequence' | 'afterRevision';
  conversationTopic: (conversationId: string) => Topic<'conversationMessages' | 'conversationMessageUpdates'>;
  userTopic: (userId: string) => Topic<'userMessages' | 'userMessageUpdates'>;
  position: Position<MessagePayload>;
  load: (conversationId: string, after: number, before: number | null, limit: number) => Promise<Message[]>;
}

const REPLAY_REACTIONS: Statement = { name: 'replay_reactions', text: REACTION_GROUPS_OF_MANY };

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
    private readonly deps: Pick<ServiceDeps, 'orm' | 'pubsub' | 'logger' | 'sql'>,
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
  messages(
    em: EntityManager,
    viewerId: string,
    conversationId?: string | null,
    afterSequence?: number | null,
  ): Promise<AsyncIterableIterator<DeliveredMessage>> {
    return this.stream(em, viewerId, conversationId, afterSequence, {
      name: 'afterSequence',
      conversationTopic: topics.conversationMessages,
      userTopic: topics.userMessages,
      position: (payload) => payload.sequence,
      load: (id, after, before, limit) => this.storedMessages(id, after, before, limit),
    });
  }

  /**
   * Changed messages (edits, deletions, reactions) of one conversation, or of all the viewer's
   * without `conversationId`, each in its new state. With `afterRevision`: every message changed
   * since, in revision order, then live ones: the same machinery as `messages`, keyed by revision.
   */
  messageUpdates(
    em: EntityManager,
    viewerId: string,
    conversationId?: string | null,
    afterRevision?: number | null,
  ): Promise<AsyncIterableIterator<DeliveredMessage>> {
    return this.stream(em, viewerId, conversationId, afterRevision, {
      name: 'afterRevision',
      conversationTopic: topics.conversationMessageUpdates,
      userTopic: topics.userMessageUpdates,
      position: (payload) => payload.revision ?? 0,
      load: (id, after, before, limit) => this.changedMessages(id, after, before, limit),
    });
  }

  /** messageReceived and messageUpdated: one implementation, two keys. */
  private async stream(
    em: EntityManager,
    viewerId: string,
    conversationId: string | null | undefined,
    after: number | null | undefined,
    key: MessageStreamKey,
  ): Promise<AsyncIterableIterator<DeliveredMessage>> {
    const live = (payload: MessagePayload): DeliveredMessage => ({ message: fromMessagePayload(payload), committedAt: payload.committedAt });
    const duplicates = new DuplicateFilter();
    const liveOnce = (payload: MessagePayload) => (duplicates.firstTime(payload.conversationId, key.position(payload)) ? live(payload) : undefined);
    if (!conversationId) {
      if (after != null) throw badInput(`${key.name} needs a conversationId`, key.name);
      const subscription = this.pubsub.subscribe(key.userTopic(viewerId));
      await subscription.ready;
      return mapIterator(subscription, liveOnce);
    }
    if (after != null && after < 0) throw badInput(`${key.name} must be 0 or more`, key.name);
    const conversation = await this.conversations.getForViewer(em, viewerId, conversationId);
    const subscription = this.pubsub.subscribe(key.conversationTopic(conversation.id));
    if (after == null) {
      await subscription.ready;
      return mapIterator(subscription, liveOnce);
    }
    const participants = participantIds(conversation);
    const load = async (from: number, before: number | null, limit: number) => {
      const stored = await key.load(conversation.id, from, before, limit);
      return stored.map((message) => toMessagePayload(message, participants));
    };
    const deliveries = replayThenLive(subscription, after, load, { pageSize: REPLAY_PAGE_SIZE, position: key.position });
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
    // The typist's side refuses typing while blocked; this drops what was in flight at the block.
    return mapIterator(subscription, async (event) => {
      if (event.userId === viewerId) return undefined;
      if (!event.isTyping) return event;
      return (await blockStore.pairBlocked(this.deps.sql, viewerId, event.userId)) ? undefined : event;
    });
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
    // Blocks change while a subscription lives and on any instance: each change (a rare event,
    // one per transition) is checked against user_blocks when it arrives.
    return mapIterator(merged, async (event) => ((await blockStore.pairBlocked(this.deps.sql, viewerId, event.userId)) ? undefined : event));
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

  /**
   * Messages changed after revision `after` (and before `before`), in their current state with
   * their reactions, in revision order: two statements per page.
   */
  private async changedMessages(conversationId: string, after: number, before: number | null, limit: number): Promise<Message[]> {
    const rows: FullMessageRow[] = await this.fork().execute(
      `${FULL_MESSAGE_SELECT}
       where m.conversation_id = ? and m.revision > ? and (?::int is null or m.revision < ?)
       order by m.revision asc limit ?`,
      [conversationId, after, before, before, limit],
    );
    return this.withReactions(rows.map((row) => toFullMessage(row)));
  }

  /** Attaches each message's reaction groups (one statement), so a delivery resolves them without a query. */
  private async withReactions(messages: Message[]): Promise<Message[]> {
    if (messages.length === 0) return messages;
    const groups = groupReactions(await this.deps.sql.query<ReactionGroupRow>(REPLAY_REACTIONS, [messages.map((m) => m.id)]));
    for (const message of messages) message.reactionRows = groups.get(message.id) ?? [];
    return messages;
  }

  /** A page of history for the replay, in a fresh fork so a long-lived subscription holds no entities. */
  private async storedMessages(conversationId: string, after: number, before: number | null, limit: number): Promise<Message[]> {
    const em = this.fork();
    const rows: FullMessageRow[] = await em.execute(
      `${FULL_MESSAGE_SELECT}
       where m.conversation_id = ? and m.sequence > ? and (?::int is null or m.sequence < ?)
       order by m.sequence asc limit ?`,
      [conversationId, after, before, before, limit],
    );
    return this.withReactions(rows.map((row) => toFullMessage(row)));
  }

  private fork(): EntityManager {
    return this.deps.orm.em.fork() as EntityManager;
  }
}
