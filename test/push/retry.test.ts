import fc from 'fast-check';
import type { PushMessage, PushOutcome, PushResult, PushTransport } from '../../src/push/push-transport';
import { backoffDelayMs, sendWithRetry } from '../../src/push/retry';

function message(token: string): PushMessage {
  return { token, platform: 'ANDROID', title: 'Ana', body: 'hi', data: {}, collapseKey: 'c', threadId: 'c' };
}

/** A transport answering each token from a script, one outcome per send; `sent` once the script ends. */
function scriptedTransport(scripts: Record<string, PushOutcome[]>) {
  const batches: string[][] = [];
  const transport: PushTransport = {
    name: 'scripted',
    async send(messages) {
      batches.push(messages.map((m) => m.token));
      return messages.map((m): PushResult => ({ token: m.token, outcome: scripts[m.token]?.shift() ?? 'sent' }));
    },
  };
  const sendsOf = (token: string) => batches.flat().filter((t) => t === token).length;
  return { transport, batches, sendsOf };
}

const noSleep = async () => undefined;

describe('sendWithRetry', () => {
  it('sends again only transient failures, keeping input order', async () => {
    const { transport, batches } = scriptedTransport({
      a: ['sent'],
      b: ['transient_error', 'transient_error', 'sent'],
      c: ['invalid_token'],
      d: ['error'],
      e: ['transient_error', 'invalid_token'],
    });

    const results = await sendWithRetry(transport, ['a', 'b', 'c', 'd', 'e'].map(message), { sleep: noSleep });

    expect(results.map((r) => [r.token, r.outcome])).toEqual([
      ['a', 'sent'],
      ['b', 'sent'],
      ['c', 'invalid_token'],
      ['d', 'error'],
      ['e', 'invalid_token'],
    ]);
    expect(batches).toEqual([['a', 'b', 'c', 'd', 'e'], ['b', 'e'], ['b']]);
  });

  it('gives up after maxAttempts with the last transient result', async () => {
    const { transport, sendsOf } = scriptedTransport({ a: Array(10).fill('transient_error') });

    const results = await sendWithRetry(transport, [message('a')], { maxAttempts: 4, sleep: noSleep });

    expect(results[0].outcome).toBe('transient_error');
    expect(sendsOf('a')).toBe(4);
  });

  it('waits with exponential backoff and jitter between attempts', async () => {
    const low: number[] = [];
    const high: number[] = [];
    const script = () => ({ a: Array(10).fill('transient_error') as PushOutcome[] });

    await sendWithRetry(scriptedTransport(script()).transport, [message('a')], {
      maxAttempts: 5,
      baseDelayMs: 200,
      random: () => 0,
      sleep: async (ms) => void low.push(ms),
    });
    await sendWithRetry(scriptedTransport(script()).transport, [message('a')], {
      maxAttempts: 5,
      baseDelayMs: 200,
      maxDelayMs: 1000,
      random: () => 0.999999,
      sleep: async (ms) => void high.push(ms),
    });

    expect(low).toEqual([100, 200, 400, 800]);
    expect(high).toEqual([200, 400, 800, 1000]);
  });

  it('does not wait when nothing is left to send', async () => {
    const sleep = jest.fn(noSleep);
    const { transport } = scriptedTransport({});
    await sendWithRetry(transport, [message('a')], { sleep });
    expect(sleep).not.toHaveBeenCalled();
  });

  it('sends a token listed twice once, giving both entries its result', async () => {
    const { transport, sendsOf } = scriptedTransport({ a: ['transient_error', 'sent'] });

    const results = await sendWithRetry(transport, [message('a'), message('b'), message('a')], { sleep: noSleep });

    expect(results.map((r) => [r.token, r.outcome])).toEqual([
      ['a', 'sent'],
      ['b', 'sent'],
      ['a', 'sent'],
    ]);
    expect(sendsOf('a')).toBe(2);
    expect(sendsOf('b')).toBe(1);
  });

  it('counts a rejecting transport as a transient failure of that attempt', async () => {
    let calls = 0;
    const transport: PushTransport = {
      name: 'down-once',
      async send(messages) {
        calls += 1;
        if (calls === 1) throw new Error('connect ECONNREFUSED');
        return messages.map((m) => ({ token: m.token, outcome: 'sent' }));
      },
    };

    const results = await sendWithRetry(transport, [message('a')], { sleep: noSleep });

    expect(results[0].outcome).toBe('sent');
    expect(calls).toBe(2);
  });

  it('never sends again after a transport answered the wrong number of results', async () => {
    const send = jest.fn(async (_messages: PushMessage[]): Promise<PushResult[]> => []);

    const results = await sendWithRetry({ name: 'broken', send }, [message('a'), message('b')], { sleep: noSleep });

    expect(results.map((r) => r.outcome)).toEqual(['error', 'error']);
    expect(results[0].error).toMatch(/broken answered 0 results for 2 messages/);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('answers an empty list without sending', async () => {
    const send = jest.fn(async (): Promise<PushResult[]> => []);
    await expect(sendWithRetry({ name: 'x', send }, [])).resolves.toEqual([]);
    expect(send).not.toHaveBeenCalled();
  });

  it('property: each device is sent to until its first final answer, within maxAttempts, never after sent', async () => {
    const outcome = fc.constantFrom<PushOutcome>('sent', 'invalid_token', 'transient_error', 'error');
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom('t1', 't2', 't3', 't4', 't5'), fc.array(outcome, { maxLength: 8 }), {
          minKeys: 1,
        }),
        fc.integer({ min: 1, max: 6 }),
        async (scripts, maxAttempts) => {
          const original = structuredClone(scripts);
          const tokens = Object.keys(scripts);
          const { transport, sendsOf } = scriptedTransport(scripts);

          const results = await sendWithRetry(transport, tokens.map(message), { maxAttempts, sleep: noSleep });

          tokens.forEach((token, index) => {
            const script = original[token];
            const firstFinal = script.findIndex((o) => o !== 'transient_error');
            // Sends needed: up to and including the first final answer (or one past the script: sent).
            const needed = firstFinal === -1 ? script.length + 1 : firstFinal + 1;
            const expectedSends = Math.min(needed, maxAttempts);
            expect(sendsOf(token)).toBe(expectedSends);
            expect(results[index].token).toBe(token);
            expect(results[index].outcome).toBe(script[expectedSends - 1] ?? 'sent');
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('backoffDelayMs', () => {
  it('stays within [d/2, d] of the capped exponential delay d', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, base, max, r) => {
          const d = Math.min(max, base * 2 ** (attempt - 1));
          const delay = backoffDelayMs(attempt, base, max, () => r);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(d / 2));
          expect(delay).toBeLessThanOrEqual(Math.ceil(d));
        },
      ),
    );
  });
});
