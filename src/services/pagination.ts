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
