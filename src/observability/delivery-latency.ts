/**
 * Hands the commit time of a live message from the subscription resolver (which sees the
 * payload) to the WebSocket server's `onNext` hook (which writes it to the socket), where the
 * delivery latency is observed. Keyed by the subscription's context: a subscription resolves
 * one event at a time, so one slot per context is enough.
 */
const committedAtByContext = new WeakMap<object, number>();

/** Remembers the commit time (epoch ms) of the event `context` is resolving now. */
export function markCommitted(context: object, committedAt: number): void {
  committedAtByContext.set(context, committedAt);
}

/** The commit time marked for `context`, once; undefined for replayed or non-message events. */
export function takeCommitted(context: object): number | undefined {
  const committedAt = committedAtByContext.get(context);
  committedAtByContext.delete(context);
  return committedAt;
}
