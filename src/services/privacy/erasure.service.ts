import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../auth/viewer';
import type { Logger } from '../../observability/logger';
import type { ObjectStorage } from '../../storage/object-storage';
import { recordAudit } from '../audit.service';
import type { Row } from '../rows';
import { deletePendingObjects, expediteUserObjects, queueObjectDeletes } from './pending-object-deletes';

export interface ErasureDeps {
  storage: ObjectStorage;
  logger: Logger;
  /** Forgets the user in caches of this process (UserService's provisioning cache). */
  forgetUser(userId: string): void;
}

/**
 * eraseUser (CONTRACT.md "Personal data"): one database transaction, then the storage deletes.
 *
 * In the transaction: a new anonymous user (no name) takes the erased user's place in
 * conversations, messages, reports and evidence; their messages become tombstones; their
 * image rows are marked DELETED and the keys queued in pending_object_deletes; devices,
 * preferences and blocks go (with the user row, by cascade or explicitly); push notifications
 * that quoted them go; one audit row with ids only. After the commit the queued keys are
 * deleted, and the delete-pending-objects job retries whatever failed, so a crash loses none.
 * A later token with the same `sub` provisions a fresh user: the old row is gone.
 *
 * The tombstones are deleteMessage's (content, metadata, flags, reactions and earlier versions
 * gone, `deletedAt` set, a new revision each), so a client resuming messageUpdated from its last
 * revision sees them; the user's reactions on other messages go with the user row (cascade).
 */
export class ErasureService {
  constructor(private readonly deps: ErasureDeps) {}

  /** True when the user existed. */
  async erase(em: EntityManager, actorId: string, userId: string): Promise<boolean> {
    if (!isUuid(userId)) return false;
    const id = userId.toLowerCase();
    const erased = await em.transactional(async (tx) => this.eraseIn(tx as EntityManager, actorId, id));
    if (!erased) return false;
    this.deps.forgetUser(id);
    await deletePendingObjects(em.fork() as EntityManager, this.deps.storage, this.deps.logger).catch((error: unknown) =>
      this.deps.logger.warn({ err: error }, 'erasure storage deletes failed; the delete-pending-objects job retries them'),
    );
    return true;
  }

  private async eraseIn(tx: EntityManager, actorId: string, id: string): Promise<boolean> {
    const found: Row[] = await tx.execute('select id from users where id = ? for update', [id]);
    if (found.length === 0) return false;
    const anonymous = randomUUID();
    await tx.execute('insert into users (id) values (?)', [anonymous]);

    const images: Row[] = await tx.execute(
      `update message_images i set status = 'DELETED', original_key = null, preview_key = null, thumbnail_key = null
       from messages m, (select original_key, preview_key, thumbnail_key, id from message_images) old
       where m.id = i.message_id and m.sender_id = ? and old.id = i.id
       returning old.original_key, old.preview_key, old.thumbnail_key`,
      [id],
    );
    const keys = images.flatMap((row) => [row.original_key, row.preview_key, row.thumbnail_key]).filter((key): key is string => typeof key === 'string');
    await queueObjectDeletes(tx, keys);
    await expediteUserObjects(tx, id);

    // Push notifications quoted the user's name and texts to the other participants.
    await tx.execute(
      `delete from push_notifications where conversation_id in (select id from conversations where participant_a_id = ? or participant_b_id = ?)`,
      [id, id],
    );
    await tombstoneMessagesOf(tx, id, anonymous);
    // The pair stays ordered (participant_a_id < participant_b_id) with the new id in it.
    await tx.execute(
      `update conversations set
         participant_a_id = least(?::uuid, case when participant_a_id = ? then participant_b_id else participant_a_id end),
         participant_b_id = greatest(?::uuid, case when participant_a_id = ? then participant_b_id else participant_a_id end),
         archived_by_id = case when archived_by_id = ? then ?::uuid else archived_by_id end
       where participant_a_id = ? or participant_b_id = ?`,
      [anonymous, id, anonymous, id, id, anonymous, id, id],
    );
    // Reports keep their evidence; the text the user wrote into their own reports goes.
    await tx.execute(`update reports set reporter_id = ?, details = null where reporter_id = ?`, [anonymous, id]);
    await tx.execute(`update reports set reported_user_id = ? where reported_user_id = ?`, [anonymous, id]);
    await tx.execute(`update report_evidence set sender_id = ? where sender_id = ?`, [anonymous, id]);
    await tx.execute(`delete from user_blocks where blocker_id = ? or blocked_id = ?`, [id, id]);
    // Devices, preferences and push state go with the row (on delete cascade).
    await tx.execute('delete from users where id = ?', [id]);
    await recordAudit(tx, [{ actorId, action: 'user.erased', entityType: 'user', entityId: id, data: { anonymousUserId: anonymous, imageObjects: keys.length } }]);
    return true;
  }
}

/**
 * The erased user's messages become tombstones under the anonymous id, as deleteMessage leaves
 * them: each not yet deleted one takes its conversation's next revision (in sequence order, so
 * revisions stay gapless per conversation), and their reactions and earlier versions go.
 */
async function tombstoneMessagesOf(tx: EntityManager, userId: string, anonymousId: string): Promise<void> {
  await tx.execute(`delete from message_edits where message_id in (select id from messages where sender_id = ?)`, [userId]);
  await tx.execute(`delete from message_reactions where message_id in (select id from messages where sender_id = ?)`, [userId]);
  await tx.execute(
    `with live as (
       select id, conversation_id, row_number() over (partition by conversation_id order by sequence) as nth
       from messages where sender_id = ? and deleted_at is null
     ),
     bumped as (
       update conversations c set last_revision = c.last_revision + n.count
       from (select conversation_id, count(*) as count from live group by conversation_id) n
       where c.id = n.conversation_id
       returning c.id, c.last_revision - n.count as base
     )
     update messages m set revision = b.base + l.nth, deleted_at = clock_timestamp()
     from live l join bumped b on b.id = l.conversation_id where m.id = l.id`,
    [userId],
  );
  await tx.execute(
    `update messages set sender_id = ?, content = null, metadata = '{}', client_message_id = null, flags = '{}' where sender_id = ?`,
    [anonymousId, userId],
  );
}
