import { MessageFlag } from '../../schema/common/safety-enums';
import { findEmailsAndLinks, findSpelledOutEmails } from './emails-and-links';
import { mentionsOffPlatformPayment } from './payment-words';
import { findPhoneNumbers } from './phone-numbers';
import { mergeSpans, overlaps, type TextSpan } from './ranges';

/** What detection found in one text. */
export interface Detection {
  /** In the contract's order: CONTACT_INFO, EXTERNAL_LINK, OFF_PLATFORM_PAYMENT. */
  flags: MessageFlag[];
  /** Email addresses and phone numbers: what the `mask` policy hides. */
  contactSpans: TextSpan[];
}

const NOTHING: Detection = { flags: [], contactSpans: [] };

/**
 * Detection of contact information, links and off-platform payment in a message's text (a
 * text message, an edit, a caption). One place for every caller: the send pipeline's content
 * step and editMessage call this.
 */
export function detect(text: string | null | undefined): Detection {
  if (!text) return NOTHING;
  const { emails, links } = findEmailsAndLinks(text);
  const contactSpans = mergeSpans([...emails, ...findSpelledOutEmails(text), ...findPhoneNumbers(text)]);
  // linkifyjs reads the domain of "ana at gmail.com" as a link: a link inside an address is the address.
  const ownLinks = links.filter((link) => !contactSpans.some((contact) => overlaps(contact, link)));
  const flags: MessageFlag[] = [];
  if (contactSpans.length > 0) flags.push(MessageFlag.CONTACT_INFO);
  if (ownLinks.length > 0) flags.push(MessageFlag.EXTERNAL_LINK);
  if (mentionsOffPlatformPayment(text)) flags.push(MessageFlag.OFF_PLATFORM_PAYMENT);
  return { flags, contactSpans };
}

/** The placeholder of the `mask` policy. */
export const HIDDEN = '[hidden]';

/** The text with every span replaced by `[hidden]`. */
export function maskSpans(text: string, spans: TextSpan[]): string {
  let masked = '';
  let at = 0;
  for (const span of mergeSpans(spans)) {
    masked += text.slice(at, span.start) + HIDDEN;
    at = span.end;
  }
  return masked + text.slice(at);
}
