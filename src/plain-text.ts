/**
 * One-line text from outside (names, URLs, notification titles): control characters go, NUL
 * among them, which PostgreSQL text refuses.
 */
export function stripControlCharacters(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]/g, '');
}

/**
 * Multi-line text (message content): C0 controls go except `\t`, `\n` and `\r`, so that a
 * control character cannot split markup for the sanitizer to reassemble; DEL is kept.
 */
export function stripControlCharactersKeepingLineBreaks(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}
