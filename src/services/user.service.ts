import type { EntityManager } from '@mikro-orm/postgresql';
import { isEmail } from 'class-validator';
import { LRUCache } from 'lru-cache';
import { badInput } from '../errors';
import { isUuid, type UserViewer } from '../auth/viewer';
import type { Statement } from '../db/sql';
import { User } from '../schema/user/user.entity';
import { avatarUrl, displayNameText } from './profile-fields';
import type { ServiceDeps } from './service-deps';

const PROVISION: Statement = {
  name: 'user_provision',
  text: `insert into users (id, display_name, avatar_url, email) values ($1, $2, $3, $4)
         on conflict (id) do update set
           display_name = coalesce(excluded.display_name, users.display_name),
           avatar_url = coalesce(excluded.avatar_url, users.avatar_url),
           email = coalesce(excluded.email, users.email),
           updated_at = now()
         where users.display_name is distinct from coalesce(excluded.display_name, users.display_name)
            or users.avatar_url is distinct from coalesce(excluded.avatar_url, users.avatar_url)
            or users.email is distinct from coalesce(excluded.email, users.email)`,
};

export interface UpsertUserInput {
  id: string;
  displayName?: string | null;
  avatarUrl?: string | null;
  /** Where email digests go; validated. */
  email?: string | null;
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

  constructor(private readonly deps: Pick<ServiceDeps, 'sql' | 'config'>) {}

  /**
   * Makes sure the viewer exists and carries the name and picture of their token. Claims that
   * are absent keep the stored values.
   */
  async provision(viewer: UserViewer): Promise<void> {
    // An email claim that is not an address is left out (the request still passes).
    const email = viewer.email !== undefined && isEmailAddress(viewer.email) ? viewer.email : null;
    const claims = `${viewer.name ?? ''}|${viewer.picture ?? ''}|${email ?? ''}`;
    if (this.provisioned.get(viewer.id) === claims) return;
    // Claims are the identity provider's, but typed by the user: plain text and safe URLs only.
    const name = viewer.name === undefined ? null : (displayNameText(viewer.name) ?? null);
    const picture = viewer.picture === undefined ? null : (avatarUrl(viewer.picture, !this.deps.config.isProduction) ?? null);
    await this.deps.sql.query(PROVISION, [viewer.id, name, picture, email]);
    this.provisioned.set(viewer.id, claims);
  }

  /** After an erasure: the next request with this id provisions a fresh user. */
  forget(userId: string): void {
    this.provisioned.delete(userId);
  }

  /** Service role: creates or updates a user. An absent field keeps its value; null clears it. */
  async upsert(em: EntityManager, input: UpsertUserInput): Promise<User> {
    if (!isUuid(input.id)) throw badInput('id must be a UUID', 'id');
    checkOptionalText(input.displayName, 200, 'displayName');
    checkOptionalText(input.avatarUrl, 2000, 'avatarUrl');
    if (input.email != null && !isEmailAddress(input.email)) throw badInput('email must be an email address', 'email');
    const displayName = input.displayName == null ? input.displayName : (displayNameText(input.displayName) ?? null);
    const avatar = input.avatarUrl == null ? input.avatarUrl : avatarUrl(input.avatarUrl, !this.deps.config.isProduction);
    if (avatar === undefined && input.avatarUrl != null) throw badInput('avatarUrl must be an https URL', 'avatarUrl');
    const rows = await em.execute(
      `insert into users (id, display_name, avatar_url, email) values (?, ?, ?, ?)
       on conflict (id) do update set
         display_name = case when ? then excluded.display_name else users.display_name end,
         avatar_url = case when ? then excluded.avatar_url else users.avatar_url end,
         email = case when ? then excluded.email else users.email end,
         updated_at = now()
       returning *`,
      [
        input.id.toLowerCase(),
        displayName ?? null,
        avatar ?? null,
        input.email ?? null,
        input.displayName !== undefined,
        input.avatarUrl !== undefined,
        input.email !== undefined,
      ],
    );
    return em.map(User, rows[0]);
  }

}

/** class-validator's (validator.js) address check, at most 254 characters (RFC 5321). */
export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && isEmail(value);
}

function checkOptionalText(value: string | null | undefined, max: number, field: string): void {
  if (value !== null && value !== undefined && value.length > max) {
    throw badInput(`${field} must be at most ${max} characters`, field);
  }
}
