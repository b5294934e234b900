/**
 * One-line text from outside (names, URLs, notification titles): control characters go, NUL
 * among them, which PostgreSQL text refuses.
 */
export function stripControlCharacters(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]/g, '');
}
