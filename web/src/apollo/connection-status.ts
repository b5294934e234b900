import { useSyncExternalStore } from 'react';

/**
 * Whether the graphql-ws socket is up, and how many times it has (re)connected. Threads
 * resubscribe from their last sequence when `generation` grows; the outbox retries on it.
 */
export interface ConnectionStatus {
  connected: boolean;
  generation: number;
}

type Listener = () => void;

export class ConnectionStatusStore {
  private status: ConnectionStatus = { connected: false, generation: 0 };
  private readonly listeners = new Set<Listener>();

  get = (): ConnectionStatus => this.status;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  connected(): void {
    this.set({ connected: true, generation: this.status.generation + 1 });
  }

  closed(): void {
    if (this.status.connected) this.set({ ...this.status, connected: false });
  }

  private set(status: ConnectionStatus): void {
    this.status = status;
    for (const listener of this.listeners) listener();
  }
}

export function useConnectionStatus(store: ConnectionStatusStore): ConnectionStatus {
  return useSyncExternalStore(store.subscribe, store.get);
}
