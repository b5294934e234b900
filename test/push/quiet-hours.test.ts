import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';
import {
  isValidHHMM,
  isValidIanaZone,
  isWithinQuietHours,
  quietHoursEnd,
  validateQuietHours,
  type QuietHoursPrefs,
} from '../../src/push/quiet-hours';

const quiet = (start: string, end: string, timezone: string, enabled = true): QuietHoursPrefs => ({
  enabled,
  start,
  end,
  timezone,
});

/** An instant from a local wall-clock time that exists exactly once in `zone`. */
const localTime = (zone: string, iso: string) => DateTime.fromISO(iso, { zone }).toJSDate();
const wallClock = (zone: string, at: Date) => DateTime.fromJSDate(at, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
const utc = (iso: string) => new Date(iso);

describe('validation', () => {
  it.each(['00:00', '07:05', '22:00', '23:59'])('accepts %s', (value) => expect(isValidHHMM(value)).toBe(true));
  it.each(['24:00', '7:00', '07:60', '0700', '07:00:00', '', ' 07:00', '٠٧:٠٠'])('refuses "%s"', (value) =>
    expect(isValidHHMM(value)).toBe(false),
  );

  it.each(['Europe/Madrid', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland', 'UTC', 'Etc/GMT+3'])(
    'accepts the zone %s',
    (zone) => expect(isValidIanaZone(zone)).toBe(true),
  );
  it.each(['Mars/Olympus', '', '+03:00', 'UTC+3', 'Europe/Madrid ', 'Europe/../Madrid'])('refuses the zone "%s"', (zone) =>
    expect(isValidIanaZone(zone)).toBe(false),
  );

  it('lists one problem per bad field', () => {
    expect(validateQuietHours({ start: '22:00', end: '08:00', timezone: 'Europe/Madrid' })).toEqual([]);
    expect(validateQuietHours({ start: '25:00', end: '8', timezone: 'Nowhere/Land' })).toEqual([
      'start must be HH:MM (00:00-23:59)',
      'end must be HH:MM (00:00-23:59)',
      'timezone must be an IANA time zone name, e.g. Europe/Madrid',
    ]);
    expect(validateQuietHours({ timezone: 'UTC' })).toEqual([]);
  });
});

describe('quiet hours crossing midnight (22:00-08:00)', () => {
  const zones = ['Europe/Madrid', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland', 'UTC'];
  // Mid-June: no clock change in any of these zones within a day.
  const cases: Array<[string, boolean, string]> = [
    ['2024-06-15T21:59:59', false, '2024-06-15T21:59:59'],
    ['2024-06-15T22:00:00', true, '2024-06-16T08:00:00'],
    ['2024-06-15T23:30:00', true, '2024-06-16T08:00:00'],
    ['2024-06-16T00:00:00', true, '2024-06-16T08:00:00'],
    ['2024-06-16T07:59:59', true, '2024-06-16T08:00:00'],
    ['2024-06-16T08:00:00', false, '2024-06-16T08:00:00'],
    ['2024-06-16T12:00:00', false, '2024-06-16T12:00:00'],
  ];

  describe.each(zones)('in %s', (zone) => {
    const prefs = quiet('22:00', '08:00', zone);

    it.each(cases)('at %s local: quiet=%s, ends %s local', (local, within, endsLocal) => {
      const at = localTime(zone, local);
      expect(isWithinQuietHours(prefs, at)).toBe(within);
      const end = quietHoursEnd(prefs, at);
      expect(wallClock(zone, end)).toBe(endsLocal);
      expect(end.getTime()).toBe(localTime(zone, endsLocal).getTime());
    });
  });

  it('gives each zone its own instants for the same wall-clock window', () => {
    const at = utc('2024-06-15T23:00:00Z');
    expect(quietHoursEnd(quiet('22:00', '08:00', 'UTC'), at).toISOString()).toBe('2024-06-16T08:00:00.000Z');
    // 04:30 IST is inside; 08:00 IST is 02:30 UTC.
    expect(quietHoursEnd(quiet('22:00', '08:00', 'Asia/Kolkata'), at).toISOString()).toBe('2024-06-16T02:30:00.000Z');
    // 01:00 CEST is inside; 08:00 CEST is 06:00 UTC.
    expect(quietHoursEnd(quiet('22:00', '08:00', 'Europe/Madrid'), at).toISOString()).toBe('2024-06-16T06:00:00.000Z');
    // 19:00 EDT is outside.
    expect(quietHoursEnd(quiet('22:00', '08:00', 'America/New_York'), at)).toEqual(at);
    // 11:00 NZST is outside.
    expect(isWithinQuietHours(quiet('22:00', '08:00', 'Pacific/Auckland'), at)).toBe(false);
  });
});

describe('windows that do not cross midnight, empty and disabled windows', () => {
  it('is quiet from start (inclusive) to end (exclusive) on the same day', () => {
    const prefs = quiet('13:00', '15:30', 'Europe/Madrid');
    expect(isWithinQuietHours(prefs, localTime('Europe/Madrid', '2024-06-15T12:59'))).toBe(false);
    expect(isWithinQuietHours(prefs, localTime('Europe/Madrid', '2024-06-15T13:00'))).toBe(true);
    expect(quietHoursEnd(prefs, localTime('Europe/Madrid', '2024-06-15T14:00')).toISOString()).toBe('2024-06-15T13:30:00.000Z');
    expect(isWithinQuietHours(prefs, localTime('Europe/Madrid', '2024-06-15T15:30'))).toBe(false);
    expect(isWithinQuietHours(prefs, localTime('Europe/Madrid', '2024-06-15T23:00'))).toBe(false);
  });

  it('treats start == end as an empty window: never quiet', () => {
    const prefs = quiet('08:00', '08:00', 'UTC');
    for (const iso of ['2024-06-15T07:59:00Z', '2024-06-15T08:00:00Z', '2024-06-15T20:00:00Z']) {
      expect(isWithinQuietHours(prefs, utc(iso))).toBe(false);
      expect(quietHoursEnd(prefs, utc(iso))).toEqual(utc(iso));
    }
  });

  it('is never quiet when disabled, even with a zone it would refuse', () => {
    const at = utc('2024-06-15T23:00:00Z');
    expect(isWithinQuietHours(quiet('22:00', '08:00', 'UTC', false), at)).toBe(false);
    expect(quietHoursEnd(quiet('22:00', '08:00', 'Nowhere/Land', false), at)).toEqual(at);
  });

  it('throws on enabled quiet hours with bad settings', () => {
    const at = utc('2024-06-15T23:00:00Z');
    expect(() => isWithinQuietHours(quiet('22:00', '08:00', 'Nowhere/Land'), at)).toThrow(RangeError);
    expect(() => isWithinQuietHours(quiet('10pm', '08:00', 'UTC'), at)).toThrow(RangeError);
  });
});

describe('clock changes', () => {
  describe('spring forward: the end does not exist that night', () => {
    // Europe/Madrid, 2024-03-31: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
    it.each([
      ['22:00', '02:30', '2024-03-30T22:00:00Z'],
      ['22:00', '02:00', '2024-03-30T22:00:00Z'],
      ['22:00', '03:00', '2024-03-30T22:00:00Z'],
      ['01:00', '02:59', '2024-03-31T00:30:00Z'],
    ])('Europe/Madrid %s-%s ends at 03:00 CEST (01:00 UTC), the first instant past the end', (start, end, at) => {
      const prefs = quiet(start, end, 'Europe/Madrid');
      expect(isWithinQuietHours(prefs, utc(at))).toBe(true);
      expect(quietHoursEnd(prefs, utc(at)).toISOString()).toBe('2024-03-31T01:00:00.000Z');
    });

    it('Europe/Madrid 22:00-01:59 still ends at 01:59 CET', () => {
      const prefs = quiet('22:00', '01:59', 'Europe/Madrid');
      expect(quietHoursEnd(prefs, utc('2024-03-30T22:00:00Z')).toISOString()).toBe('2024-03-31T00:59:00.000Z');
    });

    it('America/New_York 23:00-02:30 ends at 03:00 EDT', () => {
      const prefs = quiet('23:00', '02:30', 'America/New_York');
      expect(quietHoursEnd(prefs, utc('2024-03-10T05:00:00Z')).toISOString()).toBe('2024-03-10T07:00:00.000Z');
    });

    it('America/New_York 22:00-08:00 is an hour shorter that night', () => {
      const prefs = quiet('22:00', '08:00', 'America/New_York');
      const at = utc('2024-03-10T03:00:00Z'); // 22:00 EST
      const end = quietHoursEnd(prefs, at);
      expect(end.toISOString()).toBe('2024-03-10T12:00:00.000Z'); // 08:00 EDT
      expect(end.getTime() - at.getTime()).toBe(9 * 3600_000);
    });

    it('Pacific/Auckland 22:00-02:30 ends at 03:00 NZDT', () => {
      const prefs = quiet('22:00', '02:30', 'Pacific/Auckland');
      expect(quietHoursEnd(prefs, utc('2024-09-28T11:00:00Z')).toISOString()).toBe('2024-09-28T14:00:00.000Z');
    });

    it('Australia/Lord_Howe (a 30-minute change) 22:00-02:15 ends at 02:30 LHDT', () => {
      // 2024-10-06 02:00 (+10:30) becomes 02:30 (+11:00) at 15:30 UTC.
      const prefs = quiet('22:00', '02:15', 'Australia/Lord_Howe');
      expect(quietHoursEnd(prefs, utc('2024-10-05T12:00:00Z')).toISOString()).toBe('2024-10-05T15:30:00.000Z');
    });

    it('runs into the next window when the jump skips the whole gap between end and start', () => {
      // 02:45-02:30 in Madrid: the clock jumps from 02:00 to 03:00, past the end and the start.
      const prefs = quiet('02:45', '02:30', 'Europe/Madrid');
      const at = utc('2024-03-31T00:30:00Z'); // 01:30 CET
      expect(isWithinQuietHours(prefs, at)).toBe(true);
      expect(isWithinQuietHours(prefs, utc('2024-03-31T01:00:00Z'))).toBe(true); // 03:00 CEST
      expect(quietHoursEnd(prefs, at).toISOString()).toBe('2024-04-01T00:30:00.000Z'); // next 02:30 CEST
    });
  });

  describe('fall back: the end happens twice', () => {
    // Europe/Madrid, 2024-10-27: 03:00 CEST becomes 02:00 CET at 01:00 UTC.
    const madrid = quiet('22:00', '02:30', 'Europe/Madrid');

    it('ends at the first 02:30 (CEST) for a night that started before the change', () => {
      expect(quietHoursEnd(madrid, utc('2024-10-26T21:00:00Z')).toISOString()).toBe('2024-10-27T00:30:00.000Z');
      expect(isWithinQuietHours(madrid, utc('2024-10-27T00:45:00Z'))).toBe(false); // 02:45 CEST
    });

    it('is quiet again during the repeated 02:00-02:30 (CET), ending at the second 02:30', () => {
      const at = utc('2024-10-27T01:10:00Z'); // 02:10 CET
      expect(isWithinQuietHours(madrid, at)).toBe(true);
      expect(quietHoursEnd(madrid, at).toISOString()).toBe('2024-10-27T01:30:00.000Z');
    });

    it('makes 22:00-08:00 an hour longer that night', () => {
      const prefs = quiet('22:00', '08:00', 'Europe/Madrid');
      const at = utc('2024-10-26T20:00:00Z'); // 22:00 CEST
      const end = quietHoursEnd(prefs, at);
      expect(end.toISOString()).toBe('2024-10-27T07:00:00.000Z'); // 08:00 CET
      expect(end.getTime() - at.getTime()).toBe(11 * 3600_000);
    });

    it('ends when the clock goes back to before the start', () => {
      // 02:30-05:00: at 02:45 CEST the clock goes back at 03:00 CEST to 02:00 CET, before 02:30.
      const prefs = quiet('02:30', '05:00', 'Europe/Madrid');
      expect(quietHoursEnd(prefs, utc('2024-10-27T00:45:00Z')).toISOString()).toBe('2024-10-27T01:00:00.000Z');
      expect(quietHoursEnd(prefs, utc('2024-10-27T01:40:00Z')).toISOString()).toBe('2024-10-27T04:00:00.000Z');
    });

    it('America/New_York 22:00-01:30 ends at the first 01:30 (EDT)', () => {
      const prefs = quiet('22:00', '01:30', 'America/New_York');
      expect(quietHoursEnd(prefs, utc('2024-11-03T03:00:00Z')).toISOString()).toBe('2024-11-03T05:30:00.000Z');
      expect(quietHoursEnd(prefs, utc('2024-11-03T06:10:00Z')).toISOString()).toBe('2024-11-03T06:30:00.000Z');
    });

    it('Pacific/Auckland 22:00-02:30 ends at the first 02:30 (NZDT)', () => {
      const prefs = quiet('22:00', '02:30', 'Pacific/Auckland');
      expect(quietHoursEnd(prefs, utc('2024-04-06T10:00:00Z')).toISOString()).toBe('2024-04-06T13:30:00.000Z');
    });
  });
});

describe('properties across zones and dates', () => {
  const zones = [
    'Europe/Madrid',
    'America/New_York',
    'Asia/Kolkata',
    'Pacific/Auckland',
    'UTC',
    'Australia/Lord_Howe',
    'America/Sao_Paulo',
    'Asia/Kathmandu',
    'America/St_Johns',
    'Pacific/Chatham',
    'Africa/Casablanca',
    'Pacific/Apia',
  ];
  const HOUR = 3600_000;

  /** Offset changes of a zone in a few years (weekly scan, then bisection), to test near them. */
  function transitions(zone: string): number[] {
    const tz = IANAZone.create(zone);
    const found: number[] = [];
    for (const year of [2011, 2024, 2025, 2037]) {
      const stop = Date.UTC(year + 1, 0, 1);
      for (let from = Date.UTC(year, 0, 1); from < stop; from += 7 * 24 * HOUR) {
        let low = from;
        let high = Math.min(from + 7 * 24 * HOUR, stop);
        if (tz.offset(low) === tz.offset(high)) continue;
        while (high - low > 1000) {
          const middle = Math.floor((low + high) / 2);
          if (tz.offset(middle) === tz.offset(low)) low = middle;
          else high = middle;
        }
        found.push(high);
      }
    }
    return found;
  }
  const transitionsOf = new Map(zones.map((zone) => [zone, transitions(zone)]));

  const hhmm = fc
    .oneof(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 0, max: 240 }))
    .map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);

  const scenario = fc.constantFrom(...zones).chain((zone) => {
    const near = transitionsOf.get(zone)!;
    const anyDate = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true });
    const nearChange = fc
      .tuple(fc.constantFrom(...(near.length ? near : [Date.UTC(2024, 0, 1)])), fc.integer({ min: -30 * HOUR, max: 30 * HOUR }))
      .map(([t, delta]) => new Date(t + delta));
    return fc.record({
      prefs: fc.record({ enabled: fc.constant(true), start: hhmm, end: hhmm, timezone: fc.constant(zone) }),
      at: fc.oneof(anyDate, nearChange),
    });
  });

  /** Local minute of the day from Intl directly, independently of luxon. */
  function localMinute(at: Date, zone: string): number {
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
    const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
    return part('hour') * 60 + part('minute');
  }
  const minutes = (value: string) => Number(value.slice(0, 2)) * 60 + Number(value.slice(3));
  function oracleWithin(prefs: QuietHoursPrefs, at: Date): boolean {
    const [s, e, m] = [minutes(prefs.start), minutes(prefs.end), localMinute(at, prefs.timezone)];
    if (s === e) return false;
    return s < e ? m >= s && m < e : m >= s || m < e;
  }

  it('isWithinQuietHours agrees with the local wall clock', () => {
    fc.assert(
      fc.property(scenario, ({ prefs, at }) => {
        expect(isWithinQuietHours(prefs, at)).toBe(oracleWithin(prefs, at));
      }),
      { numRuns: 2000 },
    );
  });

  it('quietHoursEnd is after `at`, not quiet, quiet just before, quiet all the way, and the first such instant', () => {
    fc.assert(
      fc.property(scenario, ({ prefs, at }) => {
        const end = quietHoursEnd(prefs, at);
        if (!isWithinQuietHours(prefs, at)) {
          expect(end).toEqual(at);
          return;
        }
        expect(end.getTime()).toBeGreaterThan(at.getTime());
        expect(end.getTime() - at.getTime()).toBeLessThanOrEqual(48 * HOUR);
        expect(isWithinQuietHours(prefs, end)).toBe(false);
        expect(oracleWithin(prefs, end)).toBe(false);
        expect(isWithinQuietHours(prefs, new Date(end.getTime() - 1))).toBe(true);
        for (let k = 0; k < 8; k += 1) {
          const t = new Date(at.getTime() + Math.floor(((end.getTime() - at.getTime()) * k) / 8));
          expect(isWithinQuietHours(prefs, t)).toBe(true);
        }
        // The first instant: either the wall clock shows the end exactly, or the clock changed there.
        const tz = IANAZone.create(prefs.timezone);
        const local = DateTime.fromJSDate(end, { zone: prefs.timezone });
        const showsEnd = local.toFormat('HH:mm:ss.SSS') === `${prefs.end}:00.000`;
        const clockChanged = tz.offset(end.getTime() - 1) !== tz.offset(end.getTime());
        expect(showsEnd || clockChanged).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
