import { stripControlCharacters } from '../plain-text';
import { sanitizeContent } from './sanitize';

/**
 * Display names and avatar URLs, from token claims and from the service's upsertUser alike
 * (docs/reliability.md, Attacks 7): a name is plain text (the message sanitiser: no HTML
 * element survives), an avatar URL is an absolute `https:` URL (`http:` too outside
 * production). Anything else is no avatar: `javascript:`, `data:`, relative or broken URLs.
 */
export const DISPLAY_NAME_MAX = 200;
export const AVATAR_URL_MAX = 2000;

/** The name as plain text, or undefined when nothing is left. */
export function displayNameText(value: string): string | undefined {
  const text = sanitizeContent(stripControlCharacters(value)).trim().slice(0, DISPLAY_NAME_MAX);
  return text.length > 0 ? text : undefined;
}

/** The URL when it is one an avatar may have, else undefined. */
export function avatarUrl(value: string, allowHttp: boolean): string | undefined {
  const trimmed = stripControlCharacters(value).trim();
  if (trimmed.length === 0 || trimmed.length > AVATAR_URL_MAX) return undefined;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return undefined;
  }
  const allowed = url.protocol === 'https:' || (allowHttp && url.protocol === 'http:');
  return allowed && url.hostname.length > 0 ? url.href : undefined;
}
