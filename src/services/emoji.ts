/**
 * One emoji, as Unicode defines them: `\p{RGI_Emoji}` (a property of strings, regex flag `v`)
 * matches exactly the recommended-for-general-interchange emoji, skin tones, ZWJ sequences,
 * flags and keycaps included, from the ICU data that ships with Node, so the list stays current
 * without a dependency or a hand-kept table. Anchored, it matches one emoji and nothing around it.
 */
const ONE_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');

/** The longest RGI emoji (family ZWJ sequences) is well under this many UTF-16 units. */
const MAX_EMOJI_LENGTH = 32;

/** True when `value` is exactly one emoji (one grapheme cluster of a Unicode RGI emoji). */
export function isSingleEmoji(value: string): boolean {
  return value.length > 0 && value.length <= MAX_EMOJI_LENGTH && ONE_EMOJI.test(value);
}
