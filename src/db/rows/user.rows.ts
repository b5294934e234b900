import type { User } from '../../schema/user/user.entity';
import { date, dateOrNull, type Timestamp } from './row-values';

/** The `users` columns the raw SQL reads, and their row. */
export const USER_COLUMNS = 'id, display_name, avatar_url, last_seen_at, created_at, updated_at';

export interface UserRow {
  id: string;
  display_name: string | null;
  avatar_url: string | null;
  last_seen_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A user row as the object the resolvers read. */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    displayName: row.display_name ?? null,
    avatarUrl: row.avatar_url ?? null,
    lastSeenAt: dateOrNull(row.last_seen_at),
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
}
