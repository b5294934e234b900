import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** Who did what to which record. `actorId` is null for the system (e.g. auto-archive). */
@Entity({ tableName: 'audit_log' })
export class AuditLog {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id: string;

  @Property({ type: 'text', nullable: true })
  actorId: string | null = null;

  @Property({ type: 'text' })
  action: string;

  @Property({ type: 'text' })
  entityType: string;

  @Property({ type: 'text' })
  entityId: string;

  @Property({ type: 'jsonb', default: '{}' })
  data: Record<string, unknown> = {};

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
