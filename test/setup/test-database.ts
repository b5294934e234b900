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

/** Drops and creates `database` on the server of `url`. */
export async function recreateDatabase(url: string, database: string): Promise<string> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${database}" with (force)`);
    await admin.query(`create database "${database}"`);
  } finally {
    await admin.end();
  }
  return withDatabase(url, database);
}

/** Drops the databases of earlier runs whose process is gone (a killed run leaves its database). */
export async function dropStaleTestDatabases(url: string): Promise<void> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(`select datname from pg_database where datname like 'messaging_jest_%'`);
    for (const { datname } of rows) {
      const pid = Number(datname.slice('messaging_jest_'.length));
      if (Number.isInteger(pid) && !isAlive(pid)) await admin.query(`drop database if exists "${datname}" with (force)`);
    }
  } finally {
    await admin.end();
  }
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
