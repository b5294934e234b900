/** Title and body of one notification. */
export interface NotificationText {
  title: string;
  body: string;
}

/** What the text of a new-message notification needs to know about one message. */
export interface MessageForText {
  /** The sender's display name; empty or missing falls back to a generic title. */
  senderName?: string | null;
  type: 'TEXT' | 'IMAGE' | 'SYSTEM';
  content?: string | null;
}

/** Longest preview, in user-perceived characters, before the ellipsis. */
export const PREVIEW_MAX_LENGTH = 100;
export const FALLBACK_TITLE = 'New message';
export const PHOTO_BODY = '📷 Photo';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
// Line breaks, tabs and other controls (C0, C1) and bidi overrides/isolates become spaces so a
// preview is one line and cannot reorder the text around it.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A one-line preview of a message: whitespace and control characters collapsed to single
 * spaces, cut at `maxLength` characters (whole graphemes, so emoji and accents are never split)
 * with an ellipsis.
 */
export function previewText(content: string, maxLength = PREVIEW_MAX_LENGTH): string {
  const oneLine = content.replace(UNPRINTABLE, ' ').replace(/\s+/g, ' ').trim();
  const graphemes = Array.from(segmenter.segment(oneLine), (part) => part.segment);
  if (graphemes.length <= maxLength) return oneLine;
  return `${graphemes.slice(0, maxLength).join('').trimEnd()}…`;
}

function displayName(senderName: string | null | undefined): string | undefined {
  const name = senderName ? previewText(senderName, 50) : '';
  return name === '' ? undefined : name;
}

/**
 * Text of the notification for one new message: the sender's name as title ("New message"
 * without one), a preview as body, or "📷 Photo" for an image.
 */
export function newMessageText(message: MessageForText): NotificationText {
  const title = displayName(message.senderName) ?? FALLBACK_TITLE;
  if (message.type === 'IMAGE') return { title, body: PHOTO_BODY };
  const body = previewText(message.content ?? '');
  return { title, body: body === '' ? FALLBACK_TITLE : body };
}

/**
 * Text of the notification that stands for several messages of one conversation, oldest first:
 * "3 new messages from Ana" (the latest sender). One message gets {@link newMessageText}.
 */
export function messagesSummaryText(messages: readonly MessageForText[]): NotificationText {
  if (messages.length === 0) throw new RangeError('messagesSummaryText: no messages');
  if (messages.length === 1) return newMessageText(messages[0]);
  const name = displayName(messages[messages.length - 1].senderName);
  const count = `${messages.length} new messages`;
  return {
    title: name ?? FALLBACK_TITLE,
    body: name ? `${count} from ${name}` : count,
  };
}
