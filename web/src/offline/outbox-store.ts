import { openDB, type IDBPDatabase } from 'idb';

/** A message the viewer sent that the service has not answered yet (or answered with an error). */
export interface OutboxItem {
  clientMessageId: string;
  conversationId: string;
  content: string;
  /** The message this one answers: kept with the item, so every retry sends it. */
  replyToId?: string;
  /** Set for an image message; the content is then its caption. */
  image?: Blob;
  createdAt: string;
  /** After an error answer (never after a network failure): shown as failed, not retried. */
  failed?: boolean;
}

const DB_NAME = 'messaging-outbox';
const STORE = 'outbox';

/**
 * Sends survive a reload or a closed tab while offline: they wait in IndexedDB with the
 * clientMessageId they will be retried with, so the service stores each one once.
 */
export class OutboxStore {
  private db: Promise<IDBPDatabase>;

  constructor(name: string = DB_NAME) {
    this.db = openDB(name, 1, {
      upgrade(db) {
        db.createObjectStore(STORE, { keyPath: 'clientMessageId' });
      },
    });
  }

  async all(): Promise<OutboxItem[]> {
    const items = (await (await this.db).getAll(STORE)) as OutboxItem[];
    return items.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async put(item: OutboxItem): Promise<void> {
    await (await this.db).put(STORE, item);
  }

  async remove(clientMessageId: string): Promise<void> {
    await (await this.db).delete(STORE, clientMessageId);
  }
}
