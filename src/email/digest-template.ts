import { html } from './html';

/** One conversation of a digest. */
export interface DigestConversation {
  senderName: string;
  unreadCount: number;
  /** The latest unread message, at most 100 characters. */
  preview: string;
}

export interface DigestContent {
  conversations: DigestConversation[];
  appUrl?: string;
  unsubscribeUrl: string;
}

const MAX_PREVIEW = 100;

/** The first 100 characters (code points, so an emoji is never cut in half). */
export function preview(content: string | null): string {
  if (!content) return '[image]';
  const characters = Array.from(content);
  return characters.length > MAX_PREVIEW ? characters.slice(0, MAX_PREVIEW).join('') : content;
}

function line(conversation: DigestConversation): string {
  const count = conversation.unreadCount === 1 ? '1 new message' : `${conversation.unreadCount} new messages`;
  return `${count} from ${conversation.senderName}`;
}

export function digestSubject(content: DigestContent): string {
  const total = content.conversations.reduce((sum, conversation) => sum + conversation.unreadCount, 0);
  return total === 1 ? 'You have 1 unread message' : `You have ${total} unread messages`;
}

export function digestText(content: DigestContent): string {
  const parts = content.conversations.map((conversation) => `${line(conversation)}:\n  ${conversation.preview}`);
  if (content.appUrl) parts.push(`Read and reply: ${content.appUrl}`);
  parts.push(`Unsubscribe from these emails: ${content.unsubscribeUrl}`);
  return `${parts.join('\n\n')}\n`;
}

export function digestHtml(content: DigestContent): string {
  return html`<!doctype html>
<html><body style="font-family: sans-serif">
${content.conversations.map((conversation) => html`<p><strong>${line(conversation)}</strong><br>${conversation.preview}</p>
`)}${content.appUrl ? html`<p><a href="${content.appUrl}">Read and reply</a></p>
` : ''}<p style="font-size: small"><a href="${content.unsubscribeUrl}">Unsubscribe from these emails</a></p>
</body></html>
`.value;
}
