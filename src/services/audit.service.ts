import type { EntityManager } from '@mikro-orm/postgresql';

export interface AuditEntry {
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string;
  data?: Record<string, unknown>;
}

/** Writes audit rows inside the caller's transaction, so the record and the change commit together. */
export async function recordAudit(em: EntityManager, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const values = entries.map(() => '(?, ?, ?, ?, ?::jsonb)').join(', ');
  const params = entries.flatMap((e) => [e.actorId, e.action, e.entityType, e.entityId, JSON.stringify(e.data ?? {})]);
  await em.execute(`insert into audit_log (actor_id, action, entity_type, entity_id, data) values ${values}`, params);
}
