import type { EntityManager } from '@mikro-orm/postgresql';
import { LRUCache } from 'lru-cache';
import { badInput } from '../errors';
import { isUuid, type UserViewer } from '../auth/viewer';
import type { Statement } from '../db/sql';
import { stripControlCharacters } from '../plain-text';
import { User } from '../schema/user/user.entity';
import type { ServiceDeps } from './service-deps';

const PROVISION: Statement = {
  name: 'user_provision',
  text: `insert into users (id, display_name, avatar_url) values ($1, $2, $3)
         on conflict (id) do update set
           display_name = coalesce(excluded.display_name, users.display_name),
           avatar_url = coalesce(excluded.avatar_url, users.avatar_url),
           updated_at = now()
         where users.display_name is distinct from coalesce(excluded.display_name, users.display_name)
            or users.avatar_url is distinct from coalesce(excluded.avatar_url, users.avatar_url)`,
};

export interface UpsertUserInput {
  id: string;
  displayName?: string | null;
  avatarUrl?: string | null;
}

/** Users: just-in-time provisioning from token claims, and upserts by trusted backends. */
export class UserService {
  /**
   * The claims last written per user and when, so that a burst of requests costs one write,
   * not one per request. Keyed by user: a name that changes back is written again.
   * Eviction: an entry is written again 60 s after it was written, and past 10,000 users the
   * least recently used one goes.
   */
  private readonly provisioned = new LRUCache<string, string>({ max: 10_000, ttl: 60_000 });

  constructor(private readonly deps: Pick<ServiceDeps, 'sql'>) {}

  /**
   * Makes sure the viewer exists and carries the name and picture of their token. Claims that
   * are absent keep the stored values.
   */
  async provision(viewer: UserViewer): Promise<void> {
    const claims = `${viewer.name ?? ''}|${viewer.picture ?? ''}`;
    if (this.provisioned.get(viewer.id) === claims) return;
    await this.deps.sql.query(PROVISION, [viewer.id, viewer.name ?? null, viewer.picture ?? null]);
    this.provisioned.set(viewer.id, claims);
  }

  /** Service role: creates or updates a user. An absent field keeps its value; null clears it. */
  async upsert(em: EntityManager, input: UpsertUserInput): Promise<User> {
    if (!isUuid(input.id)) throw badInput('id must be a UUID', 'id');
    checkOptionalText(input.displayName, 200, 'displayName');
    checkOptionalText(input.avatarUrl, 2000, 'avatarUrl');
    const displayName = input.displayName == null ? input.displayName : stripControlCharacters(input.displayName);
    const avatarUrl = input.avatarUrl == null ? input.avatarUrl : stripControlCharacters(input.avatarUrl);
    const rows = await em.execute(
      `insert into users (id, display_name, avatar_url) values (?, ?, ?)
       on conflict (id) do update set
         display_name = case when ? then excluded.display_name else users.display_name end,
         avatar_url = case when ? then excluded.avatar_url else users.avatar_url end,
         updated_at = now()
       returning *`,
      [
        input.id.toLowerCase(),
        displayName ?? null,
        avatarUrl ?? null,
        input.displayName !== undefined,
        input.avatarUrl !== undefined,
      ],
    );
    return em.map(User, rows[0]);
  }

}

function checkOptionalText(value: string | null | undefined, max: number, field: string): void {
  if (value !== null && value !== undefined && value.length > max) {
    throw badInput(`${field} must be at most ${max} characters`, field);
  }
}
