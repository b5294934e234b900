import { nextAttemptAt } from '../../src/webhooks/retry-schedule';

const policy = { baseSeconds: 5, maxDelaySeconds: 3600, giveUpAfterSeconds: 24 * 3600 };
const event = new Date('2026-12-02T00:00:00Z');
const seconds = (at: Date | null, from: Date) => (at ? (at.getTime() - from.getTime()) / 1000 : null);

describe('webhook retry schedule', () => {
  test('the base after the first failure, doubling after each, within the jitter', () => {
    const middle = () => 0.5;
    expect(seconds(nextAttemptAt(policy, event, 1, event, middle), event)).toBe(5);
    expect(seconds(nextAttemptAt(policy, event, 2, event, middle), event)).toBe(10);
    expect(seconds(nextAttemptAt(policy, event, 4, event, middle), event)).toBe(40);
    expect(seconds(nextAttemptAt(policy, event, 1, event, () => 0), event)).toBe(4);
    expect(seconds(nextAttemptAt(policy, event, 1, event, () => 0.999999), event)).toBeCloseTo(6, 2);
  });

  test('no wait is longer than an hour', () => {
    expect(seconds(nextAttemptAt(policy, event, 30, event, () => 0.999), event)).toBe(3600);
  });

  test('gives up when the next attempt would be more than 24 hours after the event', () => {
    const late = new Date(event.getTime() + 23.5 * 3600_000);
    expect(nextAttemptAt(policy, event, 20, late, () => 0.5)).toBeNull();
    const earlier = new Date(event.getTime() + 22 * 3600_000);
    expect(nextAttemptAt(policy, event, 20, earlier, () => 0.5)).not.toBeNull();
  });
});
