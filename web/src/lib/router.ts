import { useCallback, useSyncExternalStore } from 'react';

/** The three views. Paths live under /app/ so a reload or a shared link opens the same view. */
export type Route = { view: 'list' } | { view: 'thread'; conversationId: string } | { view: 'settings' };

export const BASE = '/app/';

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : '';
  if (rest === 'settings') return { view: 'settings' };
  const thread = /^c\/([^/]+)$/.exec(rest);
  if (thread) return { view: 'thread', conversationId: decodeURIComponent(thread[1]) };
  return { view: 'list' };
}

export function pathOf(route: Route): string {
  if (route.view === 'settings') return `${BASE}settings`;
  if (route.view === 'thread') return `${BASE}c/${encodeURIComponent(route.conversationId)}`;
  return BASE;
}

const subscribe = (listener: () => void) => {
  window.addEventListener('popstate', listener);
  return () => window.removeEventListener('popstate', listener);
};

/** A router of three routes on the History API: no library needed for it. */
export function useRoute(): [Route, (route: Route) => void] {
  const pathname = useSyncExternalStore(subscribe, () => window.location.pathname);
  const navigate = useCallback((route: Route) => {
    window.history.pushState(null, '', pathOf(route));
    window.dispatchEvent(new PopStateEvent('popstate'));
  }, []);
  return [parseRoute(pathname), navigate];
}
