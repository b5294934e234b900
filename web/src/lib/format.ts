// One formatter for every message: toLocaleTimeString builds a new one per call, which is a
// noticeable part of a 50-message thread's first render.
let timeFormat: Intl.DateTimeFormat | undefined;

/** Time of day in the viewer's locale, e.g. 14:05. */
export function timeOfDay(iso: string): string {
  timeFormat ??= new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  return timeFormat.format(new Date(iso));
}

/** The local calendar day of a timestamp: the key that day separators group by. */
export function dayKey(iso: string): string {
  const date = new Date(iso);
  return `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()}`;
}

export function dayLabel(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (dayKey(iso) === dayKey(now.toISOString())) return 'Today';
  if (dayKey(iso) === dayKey(yesterday.toISOString())) return 'Yesterday';
  return date.toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: date.getFullYear() === now.getFullYear() ? undefined : 'numeric' });
}

export function displayName(user: { displayName?: string | null; id: string } | null | undefined): string {
  return user?.displayName || 'Someone';
}
