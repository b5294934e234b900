/**
 * Sign-in for development and tests (CONTRACT.md): `/app/#token=<JWT>`. The token lives in
 * sessionStorage only, so it dies with the tab and never travels in a URL or a cookie; the
 * address is replaced at once so the token is not left in history either.
 */
const KEY = 'messaging.token';

export function takeTokenFromLocation(location: Location, history: History, storage: Storage): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    storage.setItem(KEY, decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return storage.getItem(KEY);
}

/** The `sub` claim, read without verifying: the server verifies, the client only needs its id. */
export function viewerIdOf(token: string): string | null {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(payload)) as { sub?: unknown };
    return typeof claims.sub === 'string' ? claims.sub : null;
  } catch {
    return null;
  }
}
