import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../auth/viewer';
import { LIMITS } from '../config';
import { ReadRouting } from '../db/read-routing';
import { EmSql, type Statement } from '../db/sql';
import { badInput, notFound } from '../errors';
import { ConversationEventKind, ConversationStatus } from '../schema/common/enums';
import type { ConversationView } from '../schema/conversation/conversation.view';
import { recordAudit } from './audit.service';
import { assertPairNotBlocked } from './blocks/assert-not-blocked';
import type { EventPublisher, RecordedEvent } from './event-publisher';
import type { OperationLimits } from './operation-limits';
import { checkPageSize, decodeActivityCursor, encodeCursor, type PageInfoData } from './pagination';
import { CONVERSATION_COLUMNS, participantIds, toConversation, type ConversationRow, type Row } from './rows';

export interface ConversationPage {
  edges: { cursor: string; node: ConversationView }[];
  pageInfo: PageInfoData;
  totalCount: () => Promise<number>;
}

export interface StartResult {
  conversation: ConversationView;
  /** The CREATED event when this call created the conversation (already published by findOrCreate). */
  created: RecordedEvent | null;
}

const JOB_APPLICATION_ID_MAX = 200;

/** Conversations: creation (idempotent per pair and job application), access, listing, archiving. */
export class ConversationService {
  constructor(
    private readonly events: EventPublisher,
    private readonly limits?: OperationLimits,
    private readonly reads: ReadRouting = ReadRouting.primaryOnly(),
  ) {}

  /**
   * The conversation if `viewerId` takes part in it; NOT_FOUND otherwise, exactly as for an id
   * that does not exist, so that outsiders learn nothing.
   */
  async getForViewer(em: EntityManager, viewerId: string, conversationId: string): Promise<ConversationView> {
    if (!isUuid(conversationId)) throw notFound();
    const rows: ConversationRow[] = await em.execute(
      `select ${CONVERSATION_COLUMNS} from conversations where id = ? and (participant_a_id = ? or participant_b_id = ?)`,
      [conversationId.toLowerCase(), viewerId, viewerId],
    );
    if (rows.length === 0) throw notFound();
    return toConversation(rows[0]);
  }

  /** Any conversation by id (service role). */
  async getById(em: EntityManager, conversationId: string): Promise<ConversationView> {
    if (!isUuid(conversationId)) throw notFound();
    const rows: ConversationRow[] = await em.execute(`select ${CONVERSATION_COLUMNS} from conversations where id = ?`, [
      conversationId.toLowerCase(),
    ]);
    if (rows.length === 0) throw notFound();
    return toConversation(rows[0]);
  }

  /** startConversation: self is BAD_USER_INPUT, an unknown other user NOT_FOUND. */
  async start(em: EntityManager, viewerId: string, participantId: string, jobApplicationId?: string | null): Promise<StartResult> {
    if (participantId.toLowerCase() === viewerId) throw badInput('You cannot start a conversation with yourself', 'participantId');
    if (!isUuid(participantId)) throw notFound('User');
    await assertPairNotBlocked(new EmSql(em), viewerId, participantId.toLowerCase());
    await this.limitStrangers(em, viewerId, participantId.toLowerCase());
    return this.findOrCreate(em, [viewerId, participantId.toLowerCase()], jobApplicationId, viewerId);
  }

  /**
   * Starting a conversation with someone the viewer has none with yet takes a point of the
   * stricter `strangerStart` limit (filling strangers' inboxes is the abuse); further ones with
   * the same person only count as conversation starts.
   */
  private async limitStrangers(em: EntityManager, viewerId: string, participantId: string): Promise<void> {
    if (!this.limits) return;
    const [a, b] = [viewerId, participantId].sort();
    const known: Row[] = await em.execute('select 1 from conversations where participant_a_id = ? and participant_b_id = ? limit 1', [a, b]);
    if (known.length === 0) await this.limits.consume('strangerStart', viewerId);
  }

  /** Returns the conversation of the pair and job application, creating it when there is none. */
  async findOrCreate(em: EntityManager, userIds: [string, string], jobApplicationId: string | null | undefined, actorId: string | null): Promise<StartResult> {
    const result = await em.transactional((tx) => this.findOrCreateIn(tx as EntityManager, userIds, jobApplicationId, actorId));
    await result.created?.publish();
    return result;
  }

  /**
   * findOrCreate inside the caller's transaction `tx`: a new conversation's CREATED event is
   * recorded in it, and the caller publishes it (`created.publish()`) after the commit.
   */
  async findOrCreateIn(
    tx: EntityManager,
    userIds: [string, string],
    jobApplicationId: string | null | undefined,
    actorId: string | null,
  ): Promise<StartResult & { created: RecordedEvent | null }> {
    const jobId = checkJobApplicationId(jobApplicationId);
    const [a, b] = [...userIds].sort() as [string, string];
    const known: Row[] = await tx.execute('select id from users where id in (?, ?)', [a, b]);
    if (known.length < 2) throw notFound('User');
    const inserted: ConversationRow[] = await tx.execute(
      `insert into conversations (id, participant_a_id, participant_b_id, job_application_id) values (?, ?, ?, ?)
       on conflict (participant_a_id, participant_b_id, job_application_id) do nothing
       returning ${CONVERSATION_COLUMNS}`,
      [randomUUID(), a, b, jobId],
    );
    if (inserted.length > 0) {
      const conversation = toConversation(inserted[0]);
      await recordAudit(tx, [{ actorId, action: 'conversation.created', entityType: 'conversation', entityId: conversation.id }]);
      const created = await this.events.recordConversationEvent(tx, ConversationEventKind.CREATED, conversation.id, [a, b]);
      return { conversation, created };
    }
    const existing: ConversationRow[] = await tx.execute(
      `select ${CONVERSATION_COLUMNS} from conversations
       where participant_a_id = ? and participant_b_id = ?
         and (job_application_id = ? or (?::text is null and job_application_id is null))`,
      [a, b, jobId, jobId],
    );
    return { conversation: toConversation(existing[0]), created: null };
  }

  /**
   * The viewer's conversations, most recent activity first. It may run on the read replica
   * (db/read-routing.ts): the primary's `em` otherwise, exactly as without one.
   */
  async list(
    em: EntityManager,
    viewerId: string,
    statuses: ConversationStatus[] | null | undefined,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<ConversationPage> {
    const limit = checkPageSize(first, 'first') ?? LIMITS.defaultConversationPageSize;
    const wanted = statuses && statuses.length > 0 ? [...new Set(statuses)] : [ConversationStatus.ACTIVE];
    const cursor = after ? decodeActivityCursor(after) : null;
    const list = listStatement(wanted.length, cursor !== null);
    const side = [viewerId, ...wanted, ...(cursor ?? []), limit + 1];
    const primary = new EmSql(em);
    const rows = await this.reads.query<ConversationRow & { activity_cursor: string }>('conversations', viewerId, primary, list, [...side, ...side, limit + 1]);
    const hasNextPage = rows.length > limit;
    const edges = rows.slice(0, limit).map(({ activity_cursor, ...row }) => {
      const node = toConversation(row);
      return { cursor: encodeCursor([String(activity_cursor), node.id]), node };
    });
    return {
      edges,
      pageInfo: {
        hasNextPage,
        hasPreviousPage: Boolean(after),
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      totalCount: async () => {
        const [{ total }] = await this.reads.query<Row>('conversations', viewerId, primary, countStatement(wanted.length), [viewerId, ...wanted, viewerId, ...wanted]);
        return Number(total);
      },
    };
  }

  async archive(em: EntityManager, viewerId: string, conversationId: string): Promise<ConversationView> {
    return this.setStatus(em, viewerId, conversationId, ConversationStatus.ARCHIVED);
  }

  async unarchive(em: EntityManager, viewerId: string, conversationId: string): Promise<ConversationView> {
    return this.setStatus(em, viewerId, conversationId, ConversationStatus.ACTIVE);
  }

  /** Archive or unarchive by hand; idempotent, with an audit row and an event only on change. */
  private async setStatus(em: EntityManager, viewerId: string, conversationId: string, status: ConversationStatus) {
    const conversation = await this.getForViewer(em, viewerId, conversationId);
    if (conversation.status === status) return conversation;
    const archiving = status === ConversationStatus.ARCHIVED;
    const updated = await em.transactional(async (tx) => {
      const rows: ConversationRow[] = await tx.execute(
        `update conversations set status = ?, updated_at = now(),
           archived_at = case when ? then now() else null end,
           archived_by_id = case when ? then ?::uuid else null end
         where id = ? and status <> ? returning ${CONVERSATION_COLUMNS}`,
        [status, archiving, archiving, viewerId, conversation.id, status],
      );
      if (rows.length === 0) return null; // a concurrent call made the same change
      await recordAudit(tx, [
        {
          actorId: viewerId,
          action: archiving ? 'conversation.archived' : 'conversation.unarchived',
          entityType: 'conversation',
          entityId: conversation.id,
          data: { from: conversation.status, to: status },
        },
      ]);
      const changed = toConversation(rows[0]);
      const kind = archiving ? ConversationEventKind.ARCHIVED : ConversationEventKind.UNARCHIVED;
      const event = await this.events.recordConversationEvent(tx as EntityManager, kind, changed.id, participantIds(changed));
      return { changed, event };
    });
    if (!updated) return this.getForViewer(em, viewerId, conversationId);
    await updated.event.publish();
    return updated.changed;
  }

  /** Unread messages across all of the viewer's conversations (served by messages_unread_idx). */
  async unreadTotal(em: EntityManager, viewerId: string): Promise<number> {
    const [{ total }] = await em.execute(
      `select count(*) as total from messages
       where conversation_id in (select id from conversations where participant_a_id = ?
                                 union all select id from conversations where participant_b_id = ?)
         and sender_id <> ? and read_at is null and deleted_at is null`,
      [viewerId, viewerId, viewerId],
    );
    return Number(total);
  }
}

/**
 * The conversation list: one ordered index scan per side of the pair (conversations_{a,b}_list_idx),
 * merged. One placeholder per status (`array[$2, $3]`), so that the same text binds through the
 * pool and inlines through MikroORM (which writes an array parameter as a comma list).
 */
function listStatement(statusCount: number, withCursor: boolean): Statement {
  let n = 0;
  const next = () => `$${++n}`;
  const side = (column: string) => {
    const viewer = next();
    const statuses = Array.from({ length: statusCount }, next);
    const status = statusCount === 1 ? `status = ${statuses[0]}` : `status = any(array[${statuses.join(', ')}]::conversation_status[])`;
    const cursor = withCursor ? `and (activity_at, id) < (${next()}::timestamptz, ${next()}::uuid)` : '';
    return `(select ${CONVERSATION_COLUMNS}, activity_at::text as activity_cursor from conversations
        where ${column} = ${viewer} and ${status} ${cursor}
        order by activity_at desc, id desc limit ${next()})`;
  };
  const a = side('participant_a_id');
  const b = side('participant_b_id');
  return {
    name: `conversation_list_${statusCount}${withCursor ? '_after' : ''}`,
    text: `select * from (${a} union all ${b}) as mine order by activity_at desc, id desc limit ${next()}`,
  };
}

/** totalCount of the list: the same statuses, both sides counted by their index. */
function countStatement(statusCount: number): Statement {
  let n = 0;
  const next = () => `$${++n}`;
  const side = (column: string) => {
    const viewer = next();
    const statuses = Array.from({ length: statusCount }, next);
    const status = statusCount === 1 ? `status = ${statuses[0]}` : `status = any(array[${statuses.join(', ')}]::conversation_status[])`;
    return `(select count(*) from conversations where ${column} = ${viewer} and ${status})`;
  };
  const a = side('participant_a_id');
  return { name: `conversation_count_${statusCount}`, text: `select ${a} + ${side('participant_b_id')} as total` };
}

function checkJobApplicationId(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > JOB_APPLICATION_ID_MAX) {
    throw badInput(`jobApplicationId must be 1 to ${JOB_APPLICATION_ID_MAX} characters`, 'jobApplicationId');
  }
  return trimmed;
}
