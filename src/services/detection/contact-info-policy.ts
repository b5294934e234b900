import { DomainError, ErrorCode } from '../../errors';
import { MessageFlag } from '../../schema/common/safety-enums';
import { detect, maskSpans } from './detection';

/** CONTACT_INFO_POLICY: what happens to a text with contact info (see CONTRACT.md, Detection). */
export type ContactInfoPolicy = 'flag' | 'mask' | 'block';

export const CONTACT_INFO_POLICIES: readonly ContactInfoPolicy[] = ['flag', 'mask', 'block'];

/** A text as it is stored, and what detection found in it as written. */
export interface CheckedText {
  text: string;
  flags: MessageFlag[];
}

/**
 * Applies the policy to a text about to be stored (a send, an edit, a caption). Under every
 * policy `flags` lists what was found in the text as written; `block` throws BAD_USER_INPUT
 * with `reason: "CONTACT_INFO"` before anything is stored.
 */
export function applyContactInfoPolicy(text: string, policy: ContactInfoPolicy, field: string): CheckedText {
  const { flags, contactSpans } = detect(text);
  if (!flags.includes(MessageFlag.CONTACT_INFO) || policy === 'flag') return { text, flags };
  if (policy === 'block') {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, 'Contact details are not allowed in messages', { reason: 'CONTACT_INFO', field });
  }
  return { text: maskSpans(text, contactSpans), flags };
}
