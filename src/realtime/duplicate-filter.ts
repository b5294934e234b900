/** How many recent deliveries one subscription remembers. */
const REMEMBERED = 128;

/**
 * Drops messages a subscription has already delivered. The outbox publishes every committed
 * message at least once: its relay may publish again what an instance published just before it
 * died. A message is known by conversation and sequence; only the most recent few are kept, as
 * a duplicate arrives within the outbox lease of its original (seconds, a handful of messages).
 * A set rather than "highest sequence so far": the relay's late first publish of a message
 * that no one had delivered yet must still go through.
 */
export class DuplicateFilter {
  private readonly seen = new Set<string>();

  /** True the first time a (conversation, sequence) is offered, false for a repeat. */
  firstTime(conversationId: string, sequence: number): boolean {
    const key = `${conversationId}:${sequence}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    // A Set iterates in insertion order: the first entry is the oldest.
    if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }
}
