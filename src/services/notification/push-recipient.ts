/**
 * Reads a recipient's push preferences, quiet hours and devices in one statement. The named
 * statement `push_recipient` is prepared once per connection: the decision for every new
 * message runs it through the hot-path pool.
 */
import type { Sql, Statement } from '../../db/sql';
import type { PreferenceFlagColumn, RecipientPreferencesRow } from '../../db/rows/notification-preferences.rows';
import type { Recipient } from './push-decision';

const RECIPIENT: Statement = {
  name: 'push_recipient',
  text: `select p.push_enabled, p.new_message_push, p.new_application_push, p.application_status_push, p.new_review_push,
                p.work_agreement_push, p.quiet_hours_enabled, p.quiet_hours_start, p.quiet_hours_end, p.quiet_hours_timezone,
                array(select d.id::text from push_devices d where d.user_id = u.id order by d.created_at) as device_ids
         from (select $1::uuid as id) u left join notification_preferences p on p.user_id = u.id`,
};

/** The recipient `userId` (the contract's defaults for a user who never stored preferences). */
export async function readRecipient(sql: Sql, userId: string): Promise<Recipient> {
  const [row] = await sql.query<RecipientPreferencesRow>(RECIPIENT, [userId]);
  // No row: the contract's defaults (everything on, quiet hours off).
  const on = (column: PreferenceFlagColumn) => row[column] !== false;
  const workAgreement = on('work_agreement_push');
  return {
    pushEnabled: on('push_enabled'),
    flags: {
      NEW_MESSAGE: on('new_message_push'),
      NEW_APPLICATION: on('new_application_push'),
      APPLICATION_STATUS_CHANGE: on('application_status_push'),
      NEW_REVIEW: on('new_review_push'),
      WORK_AGREEMENT_CONFIRMATION: workAgreement,
      WORK_AGREEMENT_ENDING: workAgreement,
    },
    quietHours: {
      enabled: row.quiet_hours_enabled === true,
      start: row.quiet_hours_start ?? '22:00',
      end: row.quiet_hours_end ?? '08:00',
      timezone: row.quiet_hours_timezone ?? 'UTC',
    },
    deviceIds: row.device_ids ?? [],
  };
}
