/** The contract's retry rules: base delay after the first failure, doubling, jitter, at most 1 h, for 24 h. */
export interface RetryPolicy {
  baseSeconds: number;
  maxDelaySeconds: number;
  giveUpAfterSeconds: number;
}



/**
 * When the attempt after failed attempt number `failures` (1 for the first) is due, or null
 * when that would be more than 24 hours after the event: then the delivery is given up.
 * Jitter (0.8x to 1.2x) keeps the retries of a receiver that came back from arriving together.
 */
export function nextAttemptAt(policy: RetryPolicy, occurredAt: Date, failures: number, now = new Date(), random = Math.random): Date | null {
  const exponential = policy.baseSeconds * 2 ** Math.max(0, failures - 1);
  const delaySeconds = Math.min(policy.maxDelaySeconds, exponential * (0.8 + 0.4 * random()));
  const at = new Date(now.getTime() + delaySeconds * 1000);
  return at.getTime() > occurredAt.getTime() + policy.giveUpAfterSeconds * 1000 ? null : at;
}
