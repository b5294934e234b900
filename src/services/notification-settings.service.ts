import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { IANAZone } from 'luxon';
import { badInput } from '../errors';
import type { DevicePlatform } from '../schema/common/enums';
import { NotificationPreferences } from '../schema/notification/notification-preferences.entity';
import { PushDevice } from '../schema/notification/push-device.entity';
import { User } from '../schema/user/user.entity';
import type { Row } from './rows';

export interface PreferencesInput {
  pushEnabled?: boolean | null;
  emailEnabled?: boolean | null;
  newMessagePush?: boolean | null;
  newApplicationPush?: boolean | null;
  applicationStatusPush?: boolean | null;
  newReviewPush?: boolean | null;
  workAgreementPush?: boolean | null;
  quietHours?: { enabled?: boolean | null; start?: string | null; end?: string | null; timezone?: string | null } | null;
}

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;
const TOKEN_MAX = 4096;
const FLAGS = ['pushEnabled', 'emailEnabled', 'newMessagePush', 'newApplicationPush', 'applicationStatusPush', 'newReviewPush', 'workAgreementPush'] as const;

/** Notification preferences and push devices of the viewer. */
export class NotificationSettingsService {
  /** @param maxDevicesPerUser registering one more device replaces the least recently seen one. */
  constructor(private readonly maxDevicesPerUser = 20) {}

  /** The stored preferences, or the contract's defaults when the user never changed them. */
  async preferences(em: EntityManager, userId: string): Promise<NotificationPreferences> {
    const stored = await em.findOne(NotificationPreferences, { user: userId });
    if (stored) return stored;
    const defaults = new NotificationPreferences();
    defaults.user = em.getReference(User, userId);
    return defaults;
  }

  /** Applies the given fields (absent or null ones keep their value), validated first. */
  async update(em: EntityManager, userId: string, input: PreferencesInput): Promise<NotificationPreferences> {
    const quiet = input.quietHours ?? {};
    if (quiet.start != null && !HH_MM.test(quiet.start)) throw badInput('quietHours.start must be HH:MM', 'quietHours.start');
    if (quiet.end != null && !HH_MM.test(quiet.end)) throw badInput('quietHours.end must be HH:MM', 'quietHours.end');
    if (quiet.timezone != null && !IANAZone.isValidZone(quiet.timezone)) {
      throw badInput('quietHours.timezone must be an IANA time zone name', 'quietHours.timezone');
    }
    const prefs = await this.preferences(em, userId);
    for (const flag of FLAGS) {
      const value = input[flag];
      if (value !== null && value !== undefined) prefs[flag] = value;
    }
    if (quiet.enabled != null) prefs.quietHoursEnabled = quiet.enabled;
    if (quiet.start != null) prefs.quietHoursStart = quiet.start;
    if (quiet.end != null) prefs.quietHoursEnd = quiet.end;
    if (quiet.timezone != null) prefs.quietHoursTimezone = quiet.timezone;
    await em.upsert(NotificationPreferences, prefs);
    return prefs;
  }

  /**
   * Registers a device token for the viewer. A token already known moves to this user (a phone
   * changed hands) and its lastSeenAt is refreshed: registering twice is harmless.
   */
  async registerDevice(em: EntityManager, userId: string, token: string, platform: DevicePlatform): Promise<PushDevice> {
    const trimmed = token.trim();
    if (trimmed.length === 0 || trimmed.length > TOKEN_MAX) throw badInput(`token must be 1 to ${TOKEN_MAX} characters`, 'token');
    const rows: Row[] = await em.execute(
      `insert into push_devices (id, user_id, token, platform, last_seen_at) values (?, ?, ?, ?, now())
       on conflict (token) do update set user_id = excluded.user_id, platform = excluded.platform, last_seen_at = now()
       returning *`,
      [randomUUID(), userId, trimmed, platform],
    );
    // The cap: 300 registrations leave the 20 most recently seen devices, not 300 push targets.
    await em.execute(
      `delete from push_devices where id in (
         select id from push_devices where user_id = ? order by last_seen_at desc nulls last, created_at desc offset ?)`,
      [userId, this.maxDevicesPerUser],
    );
    return em.map(PushDevice, rows[0]);
  }

  /** True when the viewer had this token; unknown tokens and other users' tokens answer false. */
  async unregisterDevice(em: EntityManager, userId: string, token: string): Promise<boolean> {
    const deleted = await em.nativeDelete(PushDevice, { user: userId, token: token.trim() });
    return deleted > 0;
  }

  async devices(em: EntityManager, userId: string): Promise<PushDevice[]> {
    return em.find(PushDevice, { user: userId }, { orderBy: { createdAt: 'desc' } });
  }
}
