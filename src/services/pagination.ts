import { isUuid } from '../auth/viewer';
import { badInput } from '../errors';
import { LIMITS } from '../config';

/**
 * Opaque Relay cursors. Messages page by their gapless `sequence`, conversations by
 * (activityAt, id): both keys are unique, so pages are stable even when timestamps are equal.
 */
export function encodeCursor(parts: (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(cursor: string, shape: ('string' | 'number')[]): (string | number)[] {
  try {
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parts) && parts.length === shape.length && parts.every((p, i) => typeof p === shape[i])) {
      return parts as (string | number)[];
    }
  } catch {
    // fall through to the error below
  }
  throw badInput('The cursor is not valid', 'cursor');
}

/** Largest PostgreSQL `integer`: a bigger sequence would fail in SQL instead of as bad input. */
const MAX_SEQUENCE = 2_147_483_647;

/** A message cursor: the sequence of a message, a non-negative integer. */
export function decodeSequenceCursor(cursor: string): number {
  const [sequence] = decodeCursor(cursor, ['number']) as [number];
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > MAX_SEQUENCE) throw badInput('The cursor is not valid', 'cursor');
  return sequence;
}

/** `timestamptz::text` as PostgreSQL prints it with DateStyle ISO, e.g. `2025-05-05 10:00:00.000002+00`. */
const TIMESTAMP_TEXT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?[+-](\d{2})(?::[0-5]\d){0,2}$/;

/**
 * A conversation cursor: [activityAt as PostgreSQL text, id]. Checked here, so that a forged
 * or damaged cursor is BAD_USER_INPUT rather than a failing SQL cast.
 */
export function decodeActivityCursor(cursor: string): [string, string] {
  const [activity, id] = decodeCursor(cursor, ['string', 'string']) as [string, string];
  if (!isUuid(id) || !isTimestampText(activity)) throw badInput('The cursor is not valid', 'cursor');
  return [activity, id.toLowerCase()];
}

export function isTimestampText(value: string): boolean {
  const match = TIMESTAMP_TEXT.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second, offsetHours] = match.slice(1).map(Number);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  const realDay = year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return realDay && hour < 24 && minute < 60 && second < 60 && offsetHours <= 15;
}

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** Validates a page size: 0..100 (LIMITS.maxPageSize); anything else is BAD_USER_INPUT. */
export function checkPageSize(value: number | null | undefined, name: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > LIMITS.maxPageSize) {
    throw badInput(`${name} must be between 0 and ${LIMITS.maxPageSize}`, name);
  }
  return value;
}

export interface PageInfoData {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}
