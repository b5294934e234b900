import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../helpers/child-server';

/** Debian's pgbouncer binary (installed by .ci/run when missing), or PGBOUNCER_BIN. */
export function pgbouncerBin(): string | undefined {
  const candidates = [process.env.PGBOUNCER_BIN, '/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'];
  return candidates.find((candidate): candidate is string => Boolean(candidate) && existsSync(candidate!));
}

/**
 * A PgBouncer of the test's own, on a free port, in front of `upstream` (host:port), configured
 * as CONTRACT.md "Operations" says operators run it: transaction pooling, no prepared statement
 * support (1.18), `ignore_startup_parameters = extra_float_digits`. As root it runs as the
 * `postgres` user (PgBouncer refuses to run as root), its files in a directory owned by it.
 */
export class OwnPgBouncer {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(upstream: { host: string; port: number }, options: { poolSize?: number } = {}): Promise<OwnPgBouncer> {
    const bin = pgbouncerBin();
    if (!bin) throw new Error('pgbouncer is not installed (apt-get install -y pgbouncer)');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'messaging-pgbouncer-'));
    const port = await freePort();
    const ini = [
      '[databases]',
      `* = host=${upstream.host} port=${upstream.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      // No unix socket: the default directory (/tmp) may hold another bouncer's.
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      'ignore_startup_parameters = extra_float_digits',
      `default_pool_size = ${options.poolSize ?? 10}`,
      'max_client_conn = 500',
      `logfile = ${path.join(dir, 'pgbouncer.log')}`,
      'admin_users = postgres',
      'log_connections = 0',
      'log_disconnections = 0',
    ].join('\n');
    writeFileSync(path.join(dir, 'pgbouncer.ini'), `${ini}\n`);
    writeFileSync(path.join(dir, 'users.txt'), '"postgres" ""\n');
    writeFileSync(path.join(dir, 'pgbouncer.log'), '');
    if (process.getuid?.() === 0) {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
      for (const file of ['', 'pgbouncer.ini', 'users.txt', 'pgbouncer.log']) chownSync(path.join(dir, file), id('-u'), id('-g'));
    }
    chmodSync(dir, 0o700);
    // In the foreground, so that the pid is ours to kill and nothing outlives the test.
    const [command, args] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, path.join(dir, 'pgbouncer.ini')]] : [bin, [path.join(dir, 'pgbouncer.ini')]];
    const child = spawn(command, args, { stdio: 'ignore' });
    const bouncer = new OwnPgBouncer(port, dir, child);
    await bouncer.waitReady();
    return bouncer;
  }

  url(database: string): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Everything PgBouncer logged so far. */
  log(): string {
    return readFileSync(path.join(this.dir, 'pgbouncer.log'), 'utf8');
  }

  /** Stops the bouncer (SIGINT: immediate shutdown) and removes its directory. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      // runuser forwards the signal to pgbouncer.
      this.child.kill('SIGINT');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`pgbouncer exited (${this.child.exitCode}): ${this.log()}`);
      const client = new Client({ connectionString: this.url('pgbouncer') });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.end();
        return;
      } catch (error) {
        await client.end().catch(() => {});
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}
