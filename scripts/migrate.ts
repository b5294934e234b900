/**
 * Applies or lists the database migrations of migrations/.
 *
 *   npm run migrate:up        applies the pending migrations (all in one transaction)
 *   npm run migrate:status    lists executed and pending migrations
 *
 * Uses DATABASE_DIRECT_URL (default DATABASE_URL), or else the embedded PostgreSQL in DATA_DIR (started for the run, or the
 * one a running service already holds). Exits 0 on success, 1 on failure, 2 on bad usage.
 */
import pino from 'pino';
import { loadConfig } from '../src/config';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded-postgres';
import { initORM, type Orm } from '../src/db/orm';

const USAGE = 'usage: migrate.ts up | status';

async function up(orm: Orm): Promise<void> {
  const applied = await orm.getMigrator().up();
  if (applied.length === 0) {
    console.log('No pending migrations: the database is up to date.');
    return;
  }
  console.log(`Applied ${applied.length} migration(s):`);
  for (const migration of applied) console.log(`  ${migration.name}`);
}

async function status(orm: Orm): Promise<void> {
  const migrator = orm.getMigrator();
  // One after the other: each creates the migrations table when missing, and two at once collide.
  const executed = await migrator.getExecutedMigrations();
  const pending = await migrator.getPendingMigrations();
  console.log(`Executed (${executed.length}):`);
  for (const row of executed) console.log(`  ${row.name}  ${new Date(row.executed_at).toISOString()}`);
  console.log(`Pending (${pending.length}):`);
  for (const migration of pending) console.log(`  ${migration.name}`);
}

const commands: Record<string, (orm: Orm) => Promise<void>> = { up, status };

async function main(): Promise<number> {
  const command = process.argv[2];
  if (command === 'create') {
    console.error('migrate create is not supported: migrations are written by hand in migrations/ (see the existing ones).');
    return 2;
  }
  const run = command ? commands[command] : undefined;
  if (!run) {
    console.error(USAGE);
    return 2;
  }

  const config = loadConfig();
  // Logs go to stderr, quiet unless LOG_LEVEL asks otherwise: stdout is the report.
  const logger = pino({ level: process.env.LOG_LEVEL ? config.logLevel : 'warn' }, pino.destination(2));
  let embedded: EmbeddedPostgres | undefined;
  let orm: Orm | undefined;
  try {
    // Never through a transaction-mode pooler: DATABASE_DIRECT_URL when set.
    let url = config.database.directUrl ?? config.databaseUrl;
    if (!url) {
      embedded = await startEmbeddedPostgres(config.dataDir, logger);
      url = embedded.url;
    }
    orm = await initORM(url);
    await run(orm);
    return 0;
  } catch (error) {
    logger.debug({ err: error }, 'migrate failed');
    console.error(`migrate ${command} failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await orm?.close(true).catch((error: unknown) => logger.warn({ err: error }, 'closing the ORM failed'));
    await embedded?.stop().catch((error: unknown) => logger.warn({ err: error }, 'stopping the embedded PostgreSQL failed'));
  }
}

// Exit explicitly: a pool or a driver timer left open must not keep the process alive.
main().then((code) => process.exit(code));
