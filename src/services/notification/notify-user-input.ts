/**
 * notifyUser's input and its checks: a user id, title 1-200 and body 1-1000 characters without
 * control characters, and `data` turned into FCM's string values without FCM's reserved keys.
 */
import { isUuid } from '../../auth/viewer';
import { badInput } from '../../errors';
import { stripControlCharacters } from '../../plain-text';
import type { NotificationType } from '../../schema/common/enums';

/** notifyUser's input, as the resolver hands it over. */
export interface NotifyUserInput {
  userId: string;
  type: NotificationType;
  title: string;
  body: string;
  data?: Record<string, unknown> | null;
}

const TITLE_MAX = 200;
const BODY_MAX = 1000;
const DATA_MAX_BYTES = 2048;
// FCM refuses these data keys; `type` is set by the service itself.
const RESERVED_DATA_KEY = /^(from|notification|message_type|type|google\..*|gcm\..*)$/i;

/** Validates notifyUser's text and turns `data` into FCM's string values (BAD_USER_INPUT otherwise). */
export function checkNotifyInput(input: NotifyUserInput): { title: string; body: string; data: Record<string, string> } {
  if (!isUuid(input.userId)) throw badInput('userId must be a user id (UUID)', 'userId');
  const title = stripControlCharacters(input.title).trim();
  if (title.length < 1 || title.length > TITLE_MAX) throw badInput(`title must be 1 to ${TITLE_MAX} characters`, 'title');
  // eslint-disable-next-line no-control-regex
  const body = input.body.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '').trim();
  if (body.length < 1 || body.length > BODY_MAX) throw badInput(`body must be 1 to ${BODY_MAX} characters`, 'body');
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.data ?? {})) {
    if (RESERVED_DATA_KEY.test(key)) throw badInput(`data key "${key}" is reserved`, 'data');
    if (value === null || value === undefined) continue;
    data[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  if (Buffer.byteLength(JSON.stringify(data)) > DATA_MAX_BYTES) throw badInput(`data must be at most ${DATA_MAX_BYTES} bytes`, 'data');
  return { title, body, data };
}
