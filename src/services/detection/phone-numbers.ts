import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js/max';
import type { TextSpan } from './ranges';

/**
 * Where people using the marketplace call from: Spain, the Spanish-speaking countries of Latin
 * America (and Brazil), and the US. A number written without its country code is read as
 * each of them in turn; a number with a leading + carries its own.
 */
export const PHONE_REGIONS: readonly CountryCode[] = [
  'ES', 'US', 'MX', 'AR', 'CO', 'CL', 'PE', 'VE', 'EC', 'GT', 'CU', 'BO', 'DO', 'HN', 'PY', 'SV', 'NI', 'CR', 'PA', 'UY', 'PR', 'BR',
];

/** The contract's phone number has at least 7 digits. */
const MIN_DIGITS = 7;

/**
 * Phone numbers, found by libphonenumber-js (Google's metadata of what a valid number looks
 * like in each region) rather than by a digit-count regex: a price ("1.500.000 pesos") or a
 * date is not a valid number of any region, a Spanish mobile is. Texts with fewer than 7 digits
 * are skipped without scanning (most chat lines).
 */
export function findPhoneNumbers(text: string): TextSpan[] {
  if (countDigits(text) < MIN_DIGITS) return [];
  const spans = new Map<string, TextSpan>();
  for (const defaultCountry of PHONE_REGIONS) {
    for (const found of findPhoneNumbersInText(text, { defaultCountry })) {
      const written = text.slice(found.startsAt, found.endsAt);
      if (countDigits(written) < MIN_DIGITS || looksLikeDateOrAmount(text, found.startsAt, found.endsAt)) continue;
      spans.set(`${found.startsAt}:${found.endsAt}`, { start: found.startsAt, end: found.endsAt });
    }
  }
  // A leading + says "phone number" in every region, even where the metadata has moved on
  // (Mexico's old mobile prefix "+52 1 ...").
  for (const match of text.matchAll(INTERNATIONAL)) {
    if (countDigits(match[0]) >= MIN_DIGITS) spans.set(`${match.index}:+`, { start: match.index, end: match.index + match[0].length });
  }
  return [...spans.values()];
}

const INTERNATIONAL = /\+\d(?:[ .-]?\(?\d+\)?)+/g;

// Some regions have 7-digit local numbers, so a date or a price can be a valid number there:
// these shapes are read as what chat means by them.
const DATE = /^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$/;
const THOUSANDS = /^\d{1,2}(?:[.,]\d{3}){2,}$/;
const CURRENCY_BEFORE = /(?:[$€£]|\b(?:usd|eur|mxn|cop|ars|clp|pen|us\$))\s*$/i;
// A price or a measure ("1000-1500 sq ft", "1.200.000 pesos"): the unit follows the number.
const CURRENCY_AFTER =
  /^\s*(?:[$€£²]|(?:euros?|pesos?|d[oó]lares|dollars?|usd|eur|mxn|cop|ars|clp|soles|bol[ií]vares|quetzales|colones|guaran[ií]es|reales|sq|square|m2|metros?|meters?|metres?|feet|ft|km|kg|cm|mm|hours?|horas?|units?|unidades)\b)/i;

function looksLikeDateOrAmount(text: string, start: number, end: number): boolean {
  const written = text.slice(start, end);
  // Slashes write dates and date ranges ("10/12 - 15/12"), never phone numbers in these regions.
  if (DATE.test(written) || THOUSANDS.test(written) || written.includes('/')) return true;
  return CURRENCY_BEFORE.test(text.slice(Math.max(0, start - 5), start)) || CURRENCY_AFTER.test(text.slice(end, end + 12));
}

function countDigits(text: string): number {
  let digits = 0;
  for (const char of text) if (char >= '0' && char <= '9') digits += 1;
  return digits;
}
