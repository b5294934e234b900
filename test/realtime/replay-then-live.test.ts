import fc from 'fast-check';
import { replayThenLive } from '../../src/realtime/replay-then-live';
import { SubscriptionQueue } from '../../src/realtime/subscription-queue';

/**
 * replayThenLive keyed by revision, where a stored message shows only its latest change: a
 * model of a conversation's messages changing (each change takes the next revision), whose
 * live publishes arrive late, out of order or not at all, and a subscriber that starts at a
 * random revision while changes go on. Whatever happens, once the last change's publish has
 * arrived the subscriber holds every changed message in its current state, with revisions
 * strictly increasing (no duplicate) across the replay and the live part.
 */

interface Change {
  id: number;
  revision: number;
  version: number;
}

type Fate = 'deliver' | 'delay' | 'lose';

const scenario = fc.record({
  messages: fc.integer({ min: 1, max: 5 }),
  changes: fc.array(fc.record({ message: fc.nat(4), fate: fc.constantFrom<Fate>('deliver', 'deliver', 'delay', 'lose') }), { minLength: 1, maxLength: 40 }),
  startAfter: fc.nat(40),
  subscribeAt: fc.nat(40),
  pageSize: fc.integer({ min: 1, max: 4 }),
});

test('revision replay-then-live ends with the current state of every changed message, each revision at most once', async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async ({ messages, changes, startAfter, subscribeAt, pageSize }) => {
      const store = new Map<number, Change>();
      let revision = 0;
      const live = new SubscriptionQueue<Change>(Promise.resolve(), () => {});
      const delayed: Change[] = [];
      const load = async (after: number, before: number | null, limit: number) =>
        [...store.values()]
          .filter((c) => c.revision > after && (before === null || c.revision < before))
          .sort((a, b) => a.revision - b.revision)
          .slice(0, limit)
          .map((c) => ({ ...c }));
      const change = (index: number, fate: Fate, subscribed: boolean) => {
        revision += 1;
        const id = changes[index].message % messages;
        const next = { id, revision, version: (store.get(id)?.version ?? 0) + 1 };
        store.set(id, next);
        if (!subscribed) return;
        // The last change is always published: otherwise nothing could tell the subscriber.
        const effective = index === changes.length - 1 ? 'deliver' : fate;
        if (effective === 'deliver') live.push({ ...next });
        else if (effective === 'delay') delayed.push({ ...next });
      };

      const start = Math.min(subscribeAt, changes.length - 1);
      for (let i = 0; i < start; i += 1) change(i, changes[i].fate, false);
      const after = Math.min(startAfter, revision);
      const deliveries = replayThenLive(live, after, load, { pageSize, position: (c) => c.revision });
      const seen = new Map<number, Change>();
      const revisions: number[] = [];
      const consuming = (async () => {
        for await (const { item } of deliveries) {
          revisions.push(item.revision);
          seen.set(item.id, item);
          // Every change takes one revision: the last one is changes.length.
          if (item.revision === changes.length) return;
        }
      })();
      for (let i = start; i < changes.length; i += 1) {
        change(i, changes[i].fate, true);
        // Late publishes arrive after later ones (out of order).
        if (i % 3 === 2) while (delayed.length > 0) live.push(delayed.pop()!);
        await Promise.resolve();
      }
      for (const late of delayed) live.push(late);
      await consuming;
      await deliveries.return?.();

      for (let i = 1; i < revisions.length; i += 1) expect(revisions[i]).toBeGreaterThan(revisions[i - 1]);
      const expected = [...store.values()].filter((c) => c.revision > after).sort((a, b) => a.id - b.id);
      const actual = [...seen.values()].filter((c) => c.revision > after).sort((a, b) => a.id - b.id);
      expect(actual).toEqual(expected);
    }),
    { numRuns: 300 },
  );
});
