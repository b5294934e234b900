import type { PushMessage, PushResult, PushTransport } from './push-transport';

/** Options of {@link sendWithRetry}. */
export interface RetryOptions {
  /** Sends per message, the first included. Default 4. */
  maxAttempts?: number;
  /** Delay before the second attempt; doubles each time, with jitter. Default 200 ms. */
  baseDelayMs?: number;
  /** Upper bound of one delay. Default 10 s. */
  maxDelayMs?: number;
  /** Waits between attempts; tests pass a fake. Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Source of jitter in [0, 1); tests pass a fixed one. Default `Math.random`. */
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// Kept instead of p-retry (whose last CommonJS line is 4.x): p-retry retries one function as a
// whole, while a send here retries only the messages of a batch that failed transiently, and
// keeps the result of the others; its delays (node-retry's randomize) are not "equal jitter",
// and the tests inject `sleep` and `random`, which p-retry 4 cannot take.

/**
 * The delay before attempt `attempt + 1` (attempt counts from 1): "equal jitter", i.e. half of
 * the exponential delay fixed and half random, so retries of many senders spread out but never
 * come back immediately.
 */
export function backoffDelayMs(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/**
 * Sends `messages` through `transport`, sending again the ones that certainly did not arrive
 * (`transient_error`), with exponential backoff and jitter, at most `maxAttempts` times each,
 * and the `ambiguous` ones (maybe delivered) once more at most. Resolves with the final
 * result of every message, in input order.
 *
 * Nothing is sent twice to one device for one event: a message answered `sent`,
 * `invalid_token` or `error` is never sent again, and a token that appears more than once in
 * `messages` is sent once (its duplicates get the same result). A transport that rejects is
 * taken to have sent nothing (see {@link PushTransport.send}), so its messages count as
 * transient failures of that attempt.
 */
export async function sendWithRetry(
  transport: PushTransport,
  messages: PushMessage[],
  options: RetryOptions = {},
): Promise<PushResult[]> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const baseDelayMs = options.baseDelayMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;

  const firstIndexOfToken = new Map<string, number>();
  messages.forEach((message, index) => {
    if (!firstIndexOfToken.has(message.token)) firstIndexOfToken.set(message.token, index);
  });
  const unique = [...firstIndexOfToken.values()];
  const results = new Map<number, PushResult>();

  // A message that may have been delivered is sent again once at most: it carries the same
  // collapse identity, so the copy replaces the first on the device instead of adding one.
  const ambiguousRetried = new Set<number>();
  const sendAgain = (index: number) => {
    const outcome = results.get(index)?.outcome;
    if (outcome === 'transient_error') return true;
    if (outcome !== 'ambiguous' || ambiguousRetried.has(index)) return false;
    ambiguousRetried.add(index);
    return true;
  };
  let pending = unique;
  for (let attempt = 1; pending.length > 0; attempt += 1) {
    const answers = await sendOnce(transport, pending.map((index) => messages[index]));
    pending.forEach((index, position) => results.set(index, answers[position]));
    pending = pending.filter(sendAgain);
    if (pending.length === 0 || attempt >= maxAttempts) break;
    await sleep(backoffDelayMs(attempt, baseDelayMs, maxDelayMs, random));
  }

  return messages.map((message) => results.get(firstIndexOfToken.get(message.token)!)!);
}

async function sendOnce(transport: PushTransport, batch: PushMessage[]): Promise<PushResult[]> {
  let answers: PushResult[];
  try {
    answers = await transport.send(batch);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return batch.map((message) => ({ token: message.token, outcome: 'transient_error', error: reason }));
  }
  if (answers.length !== batch.length) {
    // A transport bug: some messages may have gone out, so none of them is sent again.
    const reason = `${transport.name} answered ${answers.length} results for ${batch.length} messages`;
    return batch.map((message) => ({ token: message.token, outcome: 'error', error: reason }));
  }
  return answers;
}
