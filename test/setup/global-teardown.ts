import { rm } from 'node:fs/promises';
import { dropDatabase } from './test-database';

/** Drops this run's database, removes its directory (TEST_RUN_DIR) and stops the embedded PostgreSQL that global-setup started, if any. */
export default async function globalTeardown(): Promise<void> {
  const server = process.env.TEST_SERVER_DATABASE_URL;
  const database = process.env.TEST_DATABASE_NAME;
  if (server && database) await dropDatabase(server, database);
  const embedded = (globalThis as Record<string, unknown>).__EMBEDDED_PG__ as { stop(): Promise<void> } | undefined;
  await embedded?.stop();
  if (process.env.TEST_RUN_DIR) await rm(process.env.TEST_RUN_DIR, { recursive: true, force: true });
}
