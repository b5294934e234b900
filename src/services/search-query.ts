import { badInput } from '../errors';

/** `query`'s bounds in characters after trimming (CONTRACT.md "Search"). */
export const SEARCH_QUERY_MAX = 200;

/** A word as PostgreSQL's parser sees one for `simple`: letters and digits. */
const WORD = /[\p{L}\p{N}][\p{L}\p{M}\p{N}]*/gu;

/** A parsed search: the words as typed (NFC) and the tsquery text for `to_tsquery('simple_unaccent', ...)`. */
export interface SearchTerms {
  words: string[];
  tsquery: string;
}

/**
 * Every word must occur; the last one also as a prefix (`electric` finds "electricista").
 * Only letters and digits reach the tsquery, so no operator of its syntax can be injected;
 * case and accents are folded by the configuration, on both sides.
 */
export function parseSearchQuery(raw: string): SearchTerms {
  const query = raw.normalize('NFC').trim();
  const length = [...query].length;
  if (length < 1 || length > SEARCH_QUERY_MAX) throw badInput(`query must be 1 to ${SEARCH_QUERY_MAX} characters after trimming`, 'query');
  const words = query.match(WORD) ?? [];
  if (words.length === 0) throw badInput('query needs at least one letter or digit', 'query');
  const tsquery = words.map((word, i) => (i === words.length - 1 ? `${word}:*` : word)).join(' & ');
  return { words, tsquery };
}

/** Case- and accent-folded, as `unaccent` + `simple` fold a word (close enough for highlighting). */
function fold(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * One range per occurrence of a query word in `content`, each the whole word; the last query
 * word matches the words it begins. Ranges are UTF-16 indices, as JavaScript strings count.
 */
export function highlightRanges(content: string | null, words: string[]): { start: number; length: number }[] {
  if (!content || words.length === 0) return [];
  const exact = new Set(words.slice(0, -1).map(fold));
  const prefix = fold(words[words.length - 1]);
  const ranges: { start: number; length: number }[] = [];
  for (const match of content.matchAll(WORD)) {
    const folded = fold(match[0]);
    if (exact.has(folded) || folded.startsWith(prefix)) ranges.push({ start: match.index, length: match[0].length });
  }
  return ranges;
}
