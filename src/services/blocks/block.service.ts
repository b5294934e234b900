import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../auth/viewer';
import { EmSql } from '../../db/sql';
import { badInput, notFound } from '../../errors';
import { ConversationEventKind } from '../../schema/common/enums';
import type { User } from '../../schema/user/user.entity';
import { recordWebhookEvent } from '../../webhooks/record-webhook-event';
import { WebhookEventType } from '../../webhooks/webhook-event-type';
import { recordAudit } from '../audit.service';
import type { EventPublisher, RecordedEvent } from '../event-publisher';
import { toUser, USER_COLUMNS, type Row, type UserRow } from '../rows';

/** blockUser, unblockUser and blockedUsers (CONTRACT.md "Blocking, reports and detection"). */
export class BlockService {
  constructor(private readonly events: EventPublisher) {}

  /** Idempotent; answers the blocked user. Self: BAD_USER_INPUT; unknown user: NOT_FOUND. */
  async block(em: EntityManager, viewerId: string, userId: string): Promise<User> {
    const other = await this.otherUser(em, viewerId, userId);
    const events = await em.transactional(async (tx) => {
      const inserted: Row[] = await tx.execute(
        `insert into user_blocks (blocker_id, blocked_id) values (?, ?) on conflict do nothing returning blocker_id`,
        [viewerId, other.id],
      );
      // Only a new block is an event: blocking again changes nothing and announces nothing.
      if (inserted.length === 0) return [];
      await recordAudit(tx as EntityManager, [{ actorId: viewerId, action: 'user.blocked', entityType: 'user', entityId: other.id }]);
      await recordWebhookEvent(new EmSql(tx as EntityManager), WebhookEventType.USER_BLOCKED, { blockerId: viewerId, blockedId: other.id });
      return this.recordPairUpdated(tx as EntityManager, viewerId, other.id);
    });
    await Promise.all(events.map((event) => event.publish()));
    return other;
  }

  /** Lifts the viewer's own block only; answers the user. */
  async unblock(em: EntityManager, viewerId: string, userId: string): Promise<User> {
    const other = await this.otherUser(em, viewerId, userId);
    const events = await em.transactional(async (tx) => {
      const deleted: Row[] = await tx.execute(`delete from user_blocks where blocker_id = ? and blocked_id = ? returning blocker_id`, [viewerId, other.id]);
      if (deleted.length === 0) return [];
      await recordAudit(tx as EntityManager, [{ actorId: viewerId, action: 'user.unblocked', entityType: 'user', entityId: other.id }]);
      return this.recordPairUpdated(tx as EntityManager, viewerId, other.id);
    });
    await Promise.all(events.map((event) => event.publish()));
    return other;
  }

  /** The users the viewer blocks, most recent block first. */
  async blockedBy(em: EntityManager, viewerId: string): Promise<User[]> {
    const rows: UserRow[] = await em.execute(
      `select ${USER_COLUMNS.split(',').map((column) => `u.${column.trim()}`).join(', ')}
       from user_blocks b join users u on u.id = b.blocked_id where b.blocker_id = ? order by b.created_at desc, u.id`,
      [viewerId],
    );
    return rows.map(toUser);
  }

  /**
   * A conversationEvent UPDATED, in the outbox with the change, for every conversation of the
   * pair: both sides' clients re-read `isBlocked` and `blockedByViewer` at once (the blocked
   * side learns no more than those fields already tell it) instead of at their next refused call.
   */
  private async recordPairUpdated(tx: EntityManager, viewerId: string, otherId: string): Promise<RecordedEvent[]> {
    const [a, b] = [viewerId, otherId].sort();
    const conversations: Row[] = await tx.execute(`select id from conversations where participant_a_id = ? and participant_b_id = ?`, [a, b]);
    const events: RecordedEvent[] = [];
    for (const row of conversations) events.push(await this.events.recordConversationEvent(tx, ConversationEventKind.UPDATED, String(row.id), [a, b]));
    return events;
  }

  private async otherUser(em: EntityManager, viewerId: string, userId: string): Promise<User> {
    if (!isUuid(userId)) throw notFound('User');
    const id = userId.toLowerCase();
    if (id === viewerId) throw badInput('You cannot block yourself', 'userId');
    const rows: UserRow[] = await em.execute(`select ${USER_COLUMNS} from users where id = ?`, [id]);
    if (rows.length === 0) throw notFound('User');
    return toUser(rows[0]);
  }
}
