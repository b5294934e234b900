import { createContext, useContext } from 'react';
import type { ApiClient } from '../apollo/client';
import type { Outbox } from '../offline/outbox';

export interface Session {
  api: ApiClient;
  outbox: Outbox;
  viewerId: string;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in SessionContext');
  return session;
}
