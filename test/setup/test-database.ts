import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The server the tests use: DATABASE_URL, or the embedded one that global-setup started. */
export function serverUrl(): string {
  const url = process.env.TEST_SERVER_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (global-setup should have set it)');
  return url;
}

/** A URL to `database` on the same server as `url`. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export const TEST_DATABASE_PREFIX = 'messaging_jest_';
/** Marks the databases created under a lease, the only ones a run may take for stale. */
const LEASED = 'messaging-jest: leased by an advisory lock';

/**
 * A run's own database, held by a lease: a session advisory lock on the server's admin database
 * (the one of `url`), kept on a connection for as long as the run lives. The lock goes with the
 * connection, so it is released when the run ends or is killed, on whatever machine it ran.
 * The pid alone said nothing on a shared server: another machine's pids are not visible here.
 */
export interface LeasedDatabase {
  name: string;
  url: string;
  /** Drops the database and releases the lease. */
  drop(): Promise<void>;
}

/** Creates `messaging_jest_<pid>_<random>` under a lease; the name is this run's alone. */
export async function createLeasedDatabase(url: string): Promise<LeasedDatabase> {
  const name = `${TEST_DATABASE_PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
  const holder = new Client({ connectionString: url, application_name: `lease:${name}` });
  // A lost connection ends the lease (another run may then drop the database); it must not end the run.
  holder.on('error', () => {});
  await holder.connect();
  try {
    await holder.query('select pg_advisory_lock(hashtext($1))', [name]);
    await holder.query(`create database "${name}"`);
    await holder.query(`comment on database "${name}" is '${LEASED}'`);
  } catch (error) {
    await holder.end();
    throw error;
  }
  return {
    name,
    url: withDatabase(url, name),
    async drop() {
      try {
        await holder.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await holder.end();
      }
    },
  };
}

/**
 * Drops the leased test databases whose lease nobody holds (their run was killed). A database
 * whose lease is held, or that has no lease marker (an older run's), is never touched.
 * Answers the names it dropped.
 */
export async function dropStaleTestDatabases(url: string): Promise<string[]> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  const dropped: string[] = [];
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `select d.datname from pg_database d join pg_shdescription s on s.objoid = d.oid and s.classoid = 'pg_database'::regclass
       where d.datname like $1 and s.description = $2`,
      [`${TEST_DATABASE_PREFIX}%`, LEASED],
    );
    for (const { datname } of rows) {
      const [{ taken }] = (await admin.query<{ taken: boolean }>('select pg_try_advisory_lock(hashtext($1)) as taken', [datname])).rows;
      if (!taken) continue; // its run is alive
      try {
        await admin.query(`drop database if exists "${datname}" with (force)`);
        dropped.push(datname);
      } finally {
        await admin.query('select pg_advisory_unlock(hashtext($1))', [datname]);
      }
    }
  } finally {
    await admin.end();
  }
  return dropped;
}

export async function dropDatabase(url: string, database: string): Promise<void> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${database}" with (force)`);
  } finally {
    await admin.end();
  }
}
