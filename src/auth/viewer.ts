/** Who is calling: a marketplace user, or a trusted backend with the service role. */
export type Viewer =
  | { kind: 'user'; id: string; name?: string; picture?: string; email?: string; expiresAt: number }
  | { kind: 'service'; id: string; expiresAt: number };

export type UserViewer = Extract<Viewer, { kind: 'user' }>;
export type ServiceViewer = Extract<Viewer, { kind: 'service' }>;

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a UUID; ids that are not are answered as not found, never as SQL errors. */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
