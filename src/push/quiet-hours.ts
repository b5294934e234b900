import { DateTime, IANAZone } from 'luxon';

/** A user's quiet hours, as stored in `notification_preferences`. */
export interface QuietHoursPrefs {
  enabled: boolean;
  /** `HH:MM`, 24-hour clock, local time in `timezone`; inclusive. */
  start: string;
  /** `HH:MM`, 24-hour clock, local time in `timezone`; exclusive. */
  end: string;
  /** IANA time zone name, e.g. `Europe/Madrid`. */
  timezone: string;
}

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;
// IANA names are words joined by slashes (`UTC`, `Europe/Madrid`, `Etc/GMT+3`); this keeps out
// the fixed offsets (`+03:00`) that Intl accepts too.
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;
const MINUTE_MS = 60_000;

/** True for a 24-hour `HH:MM` from `00:00` to `23:59`. */
export function isValidHHMM(value: string): boolean {
  return HH_MM.test(value);
}

/** True for an IANA time zone name known to this runtime's time zone data. */
export function isValidIanaZone(value: string): boolean {
  return IANA_NAME.test(value) && IANAZone.isValidZone(value);
}

/** What is wrong with quiet hours input, one message per field; empty when valid. */
export function validateQuietHours(input: Partial<Pick<QuietHoursPrefs, 'start' | 'end' | 'timezone'>>): string[] {
  const problems: string[] = [];
  if (input.start !== undefined && !isValidHHMM(input.start)) problems.push('start must be HH:MM (00:00-23:59)');
  if (input.end !== undefined && !isValidHHMM(input.end)) problems.push('end must be HH:MM (00:00-23:59)');
  if (input.timezone !== undefined && !isValidIanaZone(input.timezone)) {
    problems.push('timezone must be an IANA time zone name, e.g. Europe/Madrid');
  }
  return problems;
}

function minutesOf(hhmm: string): number {
  if (!isValidHHMM(hhmm)) throw new RangeError(`quiet hours: "${hhmm}" is not HH:MM`);
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function zoneOf(prefs: QuietHoursPrefs): IANAZone {
  if (!isValidIanaZone(prefs.timezone)) throw new RangeError(`quiet hours: "${prefs.timezone}" is not an IANA time zone`);
  return IANAZone.create(prefs.timezone);
}

/** Whether a local minute of the day falls in [start, end), the window crossing midnight when start > end. */
function inWindow(minute: number, start: number, end: number): boolean {
  if (start === end) return false;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/**
 * Whether `at` falls inside the quiet hours, judged by the local wall clock in `timezone`:
 * from `start` (inclusive) to `end` (exclusive), crossing midnight when `start` is later than
 * `end` (22:00-08:00). `start` equal to `end` is an empty window: never quiet (an all-day window
 * would be "push off", which has its own switch). Disabled quiet hours are never quiet.
 * Enabled quiet hours with a bad `start`, `end` or `timezone` throw a `RangeError`: check input
 * with {@link validateQuietHours} when it is saved.
 *
 * Being a function of the wall clock, a repeated hour when clocks go back counts each time it
 * occurs: with 22:00-02:30 in Europe/Madrid, 02:00-02:30 of the second (CET) pass is quiet again.
 */
export function isWithinQuietHours(prefs: QuietHoursPrefs, at: Date): boolean {
  if (!prefs.enabled) return false;
  const start = minutesOf(prefs.start);
  const end = minutesOf(prefs.end);
  const local = DateTime.fromJSDate(at, { zone: zoneOf(prefs) });
  return inWindow(local.hour * 60 + local.minute, start, end);
}

/**
 * The instant the quiet hours that contain `at` end: the first instant after `at` whose local
 * wall-clock time is no longer quiet. `at` itself when `at` is not inside quiet hours (send now).
 *
 * Clock changes: when `end` does not exist that day (spring forward, e.g. 02:30 in Europe/Madrid
 * on the last Sunday of March), it is the instant the clock jumps past it (03:00 CEST); when
 * `end` occurs twice (fall back), it is the next occurrence after `at`; when the clock is set back
 * to before `start`, it is that instant. If the window starts again right away (the jump skipped
 * the whole gap between end and start), it is the end of that window instead.
 */
export function quietHoursEnd(prefs: QuietHoursPrefs, at: Date): Date {
  let endMs = at.getTime();
  // Each pass crosses one window; a second pass only happens when a clock change joined two.
  for (let pass = 0; pass < 3 && isWithinQuietHours(prefs, new Date(endMs)); pass += 1) {
    endMs = endOfWindowContaining(prefs, zoneOf(prefs), endMs);
  }
  return new Date(endMs);
}

function endOfWindowContaining(prefs: QuietHoursPrefs, zone: IANAZone, atMs: number): number {
  const start = minutesOf(prefs.start);
  const end = minutesOf(prefs.end);
  const local = DateTime.fromMillis(atMs, { zone });
  const minute = local.hour * 60 + local.minute;
  // The window ends on the same local day unless it crosses midnight and `at` is before midnight.
  const dayOffset = start > end && minute >= start ? 1 : 0;
  const day = DateTime.utc(local.year, local.month, local.day).plus({ days: dayOffset });
  const targetLocalMs = day.toMillis() + end * MINUTE_MS;
  return firstInstantReachingLocal(zone, targetLocalMs, atMs, (ms) => isWithinQuietHours(prefs, new Date(ms)));
}

/**
 * The first instant after `afterMs` whose local wall-clock time (as milliseconds of a UTC
 * calendar) reaches `targetLocalMs`, or an earlier clock change that leaves the quiet window
 * (`quiet` false). Within one offset the answer is `target - offset`; when the offset changes on
 * the way, the search goes on from the change, which is the answer itself when the change jumped
 * over the target (a gap) or set the clock back to before the window's start.
 */
function firstInstantReachingLocal(
  zone: IANAZone,
  targetLocalMs: number,
  afterMs: number,
  quiet: (ms: number) => boolean,
): number {
  let fromMs = afterMs;
  for (let step = 0; step < 4; step += 1) {
    const offsetMs = zone.offset(fromMs) * MINUTE_MS;
    if (fromMs + offsetMs >= targetLocalMs) return fromMs;
    const candidate = targetLocalMs - offsetMs;
    if (zone.offset(candidate) * MINUTE_MS === offsetMs) return candidate;
    fromMs = nextOffsetChange(zone, fromMs, candidate);
    if (!quiet(fromMs)) return fromMs;
  }
  return fromMs;
}

/** The first instant in (fromMs, toMs] whose offset differs from fromMs's, to the millisecond. */
function nextOffsetChange(zone: IANAZone, fromMs: number, toMs: number): number {
  const offset = zone.offset(fromMs);
  let low = fromMs;
  let high = toMs;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (zone.offset(middle) === offset) low = middle;
    else high = middle;
  }
  return high;
}
