/**
 * notification_preferences as the push decision reads it, left-joined onto the recipient: every
 * column is null for a user who never stored preferences (the contract's defaults apply).
 */
export interface RecipientPreferencesRow {
  push_enabled: boolean | null;
  new_message_push: boolean | null;
  new_application_push: boolean | null;
  application_status_push: boolean | null;
  new_review_push: boolean | null;
  work_agreement_push: boolean | null;
  quiet_hours_enabled: boolean | null;
  quiet_hours_start: string | null;
  quiet_hours_end: string | null;
  quiet_hours_timezone: string | null;
  /** The recipient's push_devices ids, oldest first. */
  device_ids: string[] | null;
}

/** The flag columns of notification_preferences: a missing row or a null column means on. */
export type PreferenceFlagColumn = Exclude<keyof RecipientPreferencesRow, `quiet_hours_${string}` | 'device_ids'>;
