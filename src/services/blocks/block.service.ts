import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../auth/viewer';
import { EmSql } from '../../db/sql';
import { badInput, notFound } from '../../errors';
import type { User } from '../../schema/user/user.entity';
import { recordWebhookEvent } from '../../webhooks/record-webhook-event';
import { WebhookEventType } from '../../webhooks/webhook-event-type';
import { recordAudit } from '../audit.service';
import { toUser, USER_COLUMNS, type Row, type UserRow } from '../rows';

/** blockUser, unblockUser and blockedUsers (CONTRACT.md "Blocking, reports and detection"). */
export class BlockService {
  /** Idempotent; answers the blocked user. Self: BAD_USER_INPUT; unknown user: NOT_FOUND. */
  async block(em: EntityManager, viewerId: string, userId: string): Promise<User> {
    const other = await this.otherUser(em, viewerId, userId);
    await em.transactional(async (tx) => {
      const inserted: Row[] = await tx.execute(
        `insert into user_blocks (blocker_id, blocked_id) values (?, ?) on conflict do nothing returning blocker_id`,
        [viewerId, other.id],
      );
      if (inserted.length > 0) {
        await recordAudit(tx as EntityManager, [{ actorId: viewerId, action: 'user.blocked', entityType: 'user', entityId: other.id }]);
        // Only a new block is an event: blocking again changes nothing and announces nothing.
        await recordWebhookEvent(new EmSql(tx as EntityManager), WebhookEventType.USER_BLOCKED, { blockerId: viewerId, blockedId: other.id });
      }
    });
    return other;
  }

  /** Lifts the viewer's own block only; answers the user. */
  async unblock(em: EntityManager, viewerId: string, userId: string): Promise<User> {
    const other = await this.otherUser(em, viewerId, userId);
    await em.transactional(async (tx) => {
      const deleted: Row[] = await tx.execute(`delete from user_blocks where blocker_id = ? and blocked_id = ? returning blocker_id`, [viewerId, other.id]);
      if (deleted.length > 0) {
        await recordAudit(tx as EntityManager, [{ actorId: viewerId, action: 'user.unblocked', entityType: 'user', entityId: other.id }]);
      }
    });
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

  private async otherUser(em: EntityManager, viewerId: string, userId: string): Promise<User> {
    if (!isUuid(userId)) throw notFound('User');
    const id = userId.toLowerCase();
    if (id === viewerId) throw badInput('You cannot block yourself', 'userId');
    const rows: UserRow[] = await em.execute(`select ${USER_COLUMNS} from users where id = ?`, [id]);
    if (rows.length === 0) throw notFound('User');
    return toUser(rows[0]);
  }
}
