import { rm } from 'node:fs/promises';
import type { LeasedDatabase } from './test-database';

/** Drops this run's database, removes its directory (TEST_RUN_DIR) and stops the embedded PostgreSQL that global-setup started, if any. */
export default async function globalTeardown(): Promise<void> {
  // Only the database this run created (and still holds the lease of).
  const database = (globalThis as Record<string, unknown>).__TEST_DATABASE__ as LeasedDatabase | undefined;
  await database?.drop();
  const embedded = (globalThis as Record<string, unknown>).__EMBEDDED_PG__ as { stop(): Promise<void> } | undefined;
  await embedded?.stop();
  if (process.env.TEST_RUN_DIR) await rm(process.env.TEST_RUN_DIR, { recursive: true, force: true });
}
