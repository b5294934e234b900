import fc from 'fast-check';
import { isWithinQuietHours, type QuietHoursPrefs } from '../../src/push/quiet-hours';
import { PushHarness, RecordingTransport } from './push-harness';

/**
 * Property-based, at service level: for any zone, date (DST changes included) and window
 * (crossing midnight or not), a message is held exactly when the recipient's local clock is
 * inside quiet hours, until the instant they end, and is then delivered once.
 */

const ZONES = [
  'UTC',
  'Europe/Madrid',
  'Europe/London',
  'America/New_York',
  'America/Sao_Paulo',
  'America/St_Johns',
  'Asia/Kolkata',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Africa/Casablanca',
];
const WINDOW_MS = 3000;
const hhmm = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

let h: PushHarness;
let transport: RecordingTransport;
beforeAll(async () => {
  transport = new RecordingTransport();
  h = await PushHarness.create({ transport, batchWindowMs: WINDOW_MS });
});
afterAll(() => h.close());

test('a message is held exactly inside quiet hours, until they end, then sent once', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...ZONES),
      fc.date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2028-12-31T23:59:59Z'), noInvalidDate: true }),
      fc.integer({ min: 0, max: 1439 }),
      fc.integer({ min: 1, max: 1439 }),
      async (timezone, now, start, length) => {
        const prefs: QuietHoursPrefs = { enabled: true, start: hhmm(start), end: hhmm((start + length) % 1440), timezone };
        const ana = await h.user('Ana');
        const bo = await h.user('Bo');
        const token = await h.device(bo);
        await h.prefs(bo, { quietHours: { enabled: true, start: prefs.start, end: prefs.end, timezone } });
        const conversationId = await h.conversation(ana, bo);
        h.clock.set(now);
        h.queue.jobs.length = 0;

        await h.send(ana, conversationId, 'property');
        const [job] = h.queue.jobs;
        const quiet = isWithinQuietHours(prefs, now);
        if (!quiet) {
          expect(job.at.getTime()).toBe(now.getTime() + WINDOW_MS);
        } else {
          expect(job.at.getTime()).toBeGreaterThan(now.getTime());
          expect(isWithinQuietHours(prefs, job.at)).toBe(false);
          // Still quiet a minute before: the hold ends when the quiet hours do, not earlier.
          expect(isWithinQuietHours(prefs, new Date(job.at.getTime() - 60_000))).toBe(true);
          h.clock.set(new Date(job.at.getTime() - 2000));
          expect(await h.notifications.deliverConversation(bo, conversationId)).toBe('not_due');
        }
        h.clock.set(job.at);
        // A window that ends inside quiet hours is held once more; running until sent is bounded.
        let outcome = await h.notifications.deliverConversation(bo, conversationId);
        if (outcome === 'deferred') {
          const held = h.queue.jobs[h.queue.jobs.length - 1];
          expect(isWithinQuietHours(prefs, h.clock.at)).toBe(true);
          h.clock.set(held.at);
          outcome = await h.notifications.deliverConversation(bo, conversationId);
        }
        expect(outcome).toBe('sent');
        expect(transport.to(token)).toHaveLength(1);
      },
    ),
    { numRuns: 40 },
  );
});
