import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../helpers/child-server';

/**
 * A PostgreSQL cluster of the test's own (initdb + pg_ctl on a free port, in a temporary
 * directory), so that a fault test may freeze, kill and restart it: the machine's shared
 * PostgreSQL is never touched. As root (CI) the cluster runs as the `postgres` user.
 */
export class OwnPostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bin: string,
  ) {}

  /** initdb, start, and one database `messaging` with the migrations applied. */
  static async start(): Promise<OwnPostgres> {
    const bin = postgresBin();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'messaging-faults-pg-'));
    chmodSync(dir, 0o700);
    if (isRoot()) {
      const { uid, gid } = postgresUser();
      chownSync(dir, uid, gid);
    }
    const cluster = new OwnPostgres(await freePort(), dir, bin);
    cluster.asOwner('initdb', ['-D', cluster.dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    cluster.pgCtl('start');
    const admin = new Client({ connectionString: cluster.url('postgres') });
    await admin.connect();
    await admin.query('create database messaging');
    await admin.end();
    execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/migrate.ts', 'up'], {
      cwd: path.resolve(__dirname, '../..'),
      env: { ...process.env, DATABASE_URL: cluster.url(), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return cluster;
  }

  /**
   * A streaming replica of `primary` (pg_basebackup -R: standby.signal and primary_conninfo),
   * hot standby on a free port of its own. initdb's pg_hba already trusts replication from
   * 127.0.0.1, and wal_level defaults to replica.
   */
  static async startReplicaOf(primary: OwnPostgres): Promise<OwnPostgres> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'messaging-replica-pg-'));
    chmodSync(dir, 0o700);
    if (isRoot()) {
      const { uid, gid } = postgresUser();
      chownSync(dir, uid, gid);
    }
    const replica = new OwnPostgres(await freePort(), dir, primary.bin);
    replica.asOwner('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', replica.dataDir, '-R', '-X', 'stream', '--no-sync', '-c', 'fast']);
    replica.pgCtl('start');
    return replica;
  }

  /** A clean stop (the directory stays until {@link destroy}), as a replica taken down would. */
  stop(): void {
    this.pgCtl('stop', ['-m', 'fast']);
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  url(database = 'messaging'): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /**
   * SIGSTOP to every process of this cluster (the postmaster and its backends): the server
   * accepts connections (the kernel does) but answers nothing, as a frozen host would.
   */
  freeze(): void {
    for (const pid of this.processes()) process.kill(pid, 'SIGSTOP');
  }

  thaw(): void {
    for (const pid of this.processes().reverse()) process.kill(pid, 'SIGCONT');
  }

  /** The postmaster's pid, from postmaster.pid. */
  postmasterPid(): number {
    return Number(readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  /** Stops at once (no shutdown checkpoint) and removes the cluster. */
  async destroy(): Promise<void> {
    if (existsSync(path.join(this.dataDir, 'postmaster.pid'))) {
      try {
        this.thaw();
      } catch {
        // already gone
      }
      this.pgCtl('stop', ['-m', 'immediate']);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private processes(): number[] {
    const postmaster = this.postmasterPid();
    return [postmaster, ...childrenOf(postmaster)];
  }

  private pgCtl(command: 'start' | 'stop', extra: string[] = []): void {
    const options = ['-c', 'listen_addresses=127.0.0.1', '-c', `port=${this.port}`, '-c', `unix_socket_directories=${this.dir}`, '-c', 'fsync=off', '-c', 'max_connections=100'];
    this.asOwner('pg_ctl', ['-D', this.dataDir, '-l', path.join(this.dir, 'log'), '-w', ...(command === 'start' ? ['-o', options.join(' ')] : []), command, ...extra]);
  }

  private asOwner(program: string, args: string[]): void {
    const executable = path.join(this.bin, program);
    const [command, commandArgs] = isRoot() ? ['runuser', ['-u', 'postgres', '--', executable, ...args]] : [executable, args];
    const result = spawnSync(command, commandArgs, { encoding: 'utf8', cwd: this.dir });
    if (result.status !== 0) throw new Error(`${program} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
}

/** True when this machine can run a cluster of a test's own (the PostgreSQL server binaries). */
export function hasPostgresBinaries(): boolean {
  try {
    postgresBin();
    return true;
  } catch {
    return false;
  }
}

/** The newest /usr/lib/postgresql/<version>/bin with initdb, or PG_BIN. */
function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(a) - Number(b));
  if (versions.length === 0) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql (set PG_BIN)');
  return path.join(root, versions[versions.length - 1], 'bin');
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Direct children of `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      if (Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) === pid) children.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return children;
}
