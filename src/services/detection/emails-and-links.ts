import * as linkify from 'linkifyjs';
import type { TextSpan } from './ranges';

/**
 * Email addresses and links (URLs and bare domains such as `example.com`), found by linkifyjs,
 * which knows the IANA list of top-level domains: "node.js" or "3.5m" are not domains,
 * "obras-garcia.es" is.
 */
export function findEmailsAndLinks(text: string): { emails: TextSpan[]; links: TextSpan[] } {
  const emails: TextSpan[] = [];
  const links: TextSpan[] = [];
  for (const found of linkify.find(text)) {
    const span = { start: found.start, end: found.end };
    if (found.type === 'email' || found.href.startsWith('mailto:')) emails.push(span);
    else if (found.type === 'url') links.push(span);
  }
  return { emails, links };
}

// "at" / "arroba" / "(at)" / "[at]" between the name and the domain, "dot" / "punto" before the
// top-level domain; the domain part must end in a TLD that mail is commonly at, so "meet me at
// the office dot" is not an address.
const AT = String.raw`\s*[([{]?\s*(?:at|arroba|@)\s*[)\]}]?\s*`;
const DOT = String.raw`\s*[([{]?\s*(?:dot|punto|\.)\s*[)\]}]?\s*`;
const MAIL_TLDS = 'com|net|org|es|mx|ar|co|cl|pe|ve|ec|uy|py|bo|cr|pa|do|gt|hn|sv|ni|cu|pr|br|us|io|me|info|eu|uk|de|fr|it';
const SPELLED_EMAIL = new RegExp(
  String.raw`(?<![\p{L}\p{N}._-])[\p{L}\p{N}._-]+${AT}[\p{L}\p{N}-]+(?:${DOT}[\p{L}\p{N}-]+)*?${DOT}(?:${MAIL_TLDS})(?![\p{L}\p{N}])`,
  'giu',
);
// A spelled-out address spells at least one of its separators: otherwise it is a plain address.
const SPELLED_WORD = /\b(?:at|arroba|dot|punto)\b/i;

/** Emails written so that a filter misses them: "ana at gmail dot com", "ana arroba gmail punto es". */
export function findSpelledOutEmails(text: string): TextSpan[] {
  const spans: TextSpan[] = [];
  for (const match of text.matchAll(SPELLED_EMAIL)) {
    if (!SPELLED_WORD.test(match[0])) continue;
    spans.push({ start: match.index, end: match.index + match[0].length });
  }
  return spans;
}
