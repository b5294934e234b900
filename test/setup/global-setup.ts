import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { execFileSync } from 'node:child_process';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { createLeasedDatabase, dropStaleTestDatabases } from './test-database';

/**
 * Once per `npm test`: a fresh database on the machine's PostgreSQL (DATABASE_URL) or, when it
 * is unset, on an embedded one; migrations applied once, as in production.
 */
export default async function globalSetup(): Promise<void> {
  let server = process.env.DATABASE_URL;
  if (!server) {
    const embedded = await startEmbeddedPostgres(path.resolve(__dirname, '../../.data/test'), pino({ level: 'warn' }));
    (globalThis as Record<string, unknown>).__EMBEDDED_PG__ = embedded;
    server = embedded.url;
  }
  process.env.TEST_SERVER_DATABASE_URL = server;
  // Every file a test writes (DATA_DIR of its servers) goes under this run's directory, removed at the end.
  process.env.TEST_RUN_DIR = mkdtempSync(path.join(os.tmpdir(), 'messaging-test-'));
  // One database per run, so that parallel runs (two checkouts, a helper, another machine on a
  // shared server) never collide; only databases whose lease nobody holds are taken for stale.
  await dropStaleTestDatabases(server);
  const database = await createLeasedDatabase(server);
  (globalThis as Record<string, unknown>).__TEST_DATABASE__ = database;
  const url = database.url;
  process.env.TEST_DATABASE_NAME = database.name;
  // In a child process: MikroORM's metadata must not be created in Jest's outer realm.
  execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/migrate.ts', 'up'], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  process.env.DATABASE_URL = url;
  if (!process.env.REDIS_URL) {
    process.stdout.write('\nREDIS_URL is unset: tests that need Redis are skipped (they say so by name).\n');
  }
}
