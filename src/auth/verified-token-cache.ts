import type { Viewer } from './viewer';

/**
 * Verified tokens, remembered until they expire so that a client's burst of requests verifies
 * its token once. Keyed by the whole token string: a different token is verified afresh.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Viewer>();

  constructor(private readonly maxEntries = 10_000) {}

  get(token: string, now = Date.now()): Viewer | undefined {
    const viewer = this.entries.get(token);
    if (!viewer) return undefined;
    if (viewer.expiresAt <= now) {
      this.entries.delete(token);
      return undefined;
    }
    return viewer;
  }

  set(token: string, viewer: Viewer): void {
    // Map keeps insertion order: dropping the oldest entry bounds memory.
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, viewer);
  }
}
