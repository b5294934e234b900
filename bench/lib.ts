import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';

/** Shared pieces of the benchmarks: a server in its own process, a timed load loop, percentiles. */

export const ROOT = path.resolve(__dirname, '..');
export const BENCH_SECRET = 'bench-secret-that-is-long-enough-for-hs256-0123456789';
/** Benchmarks measure throughput from one address and a few users: the abuse limits would stop them. */
export const BENCH_NO_ABUSE_LIMITS = {
  RATE_LIMITS: ['read', 'write', 'conversationStart', 'strangerStart', 'fanout', 'typing', 'deviceRegistration', 'failedLogin'].map((name) => `${name}=100000000/1`).join(','),
  HTTP_MAX_CONNECTIONS_PER_IP: '0',
  HTTP_MAX_CONCURRENT_PER_USER: '100000000',
  WS_MAX_MESSAGES_PER_SECOND: '100000000',
  WS_MAX_SUBSCRIPTIONS_PER_USER: '100000000',
  WS_MAX_SOCKETS_PER_USER: '100000000',
};

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export interface LoadResult {
  count: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Runs `task` from `concurrency` loops for `seconds`; latencies in milliseconds. */
export async function timedLoad(concurrency: number, seconds: number, task: (worker: number) => Promise<boolean>): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const ok = await task(worker).catch(() => false);
        latencies.push(performance.now() - t0);
        if (!ok) errors += 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    count: latencies.length,
    errors,
    seconds: elapsed,
    perSecond: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

export async function recreateDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`drop database if exists "${name}" with (force)`);
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** The server's own node process (not a wrapper): what `processCpuSeconds` reads. */
  pid: number;
  stop(): Promise<void>;
}

let built = false;

/**
 * The node arguments that run the service. Benchmarks run the compiled build (`npm run build`,
 * once per process), as the Dockerfile does: under ts-node every EventEmitter pays for domains,
 * which ts-node's REPL module switches on (seen in the profile, docs/performance.md). Tests run
 * the sources. BENCH_FROM_SOURCE=true makes benchmarks run the sources too.
 */
export function serviceEntry(compiled: boolean): string[] {
  if (!compiled || process.env.BENCH_FROM_SOURCE === 'true') return ['-r', 'ts-node/register/transpile-only', 'src/main.ts'];
  if (!built) {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    built = true;
  }
  return ['dist/src/main.js'];
}

/**
 * The METRICS_TOKEN of the child servers that benchmarks and tests start in production mode
 * (which serves /metrics only with a token); a server without a token ignores the header.
 */
export const CHILD_METRICS_TOKEN = 'child-metrics-token';

/**
 * Starts the service in a child process, so that the load generator does not share its event
 * loop; `compiled` runs the build (benchmarks) instead of the sources (tests).
 */
export async function startServerProcess(env: Record<string, string>, port: number, nodeArgs: string[] = [], compiled = false): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, ...serviceEntry(compiled)], {
    cwd: ROOT,
    // Production mode, as deployed: graphql-js skips its development-only checks there.
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', NODE_ENV: 'production', METRICS_TOKEN: CHILD_METRICS_TOKEN, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i += 1) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on most Linux systems). */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds a process has used so far, from /proc/<pid>/stat (Linux only). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // fields 14 and 15: utime, stime
}

/** Keep-alive connections, as a front end or a gateway would hold them. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/**
 * POSTs a GraphQL operation with node:http (lighter than fetch, so that the load generator
 * takes less of the CPU it shares with the server on this machine).
 */
export function graphql(url: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const body = JSON.stringify({ query, variables });
  const { hostname, port } = new URL(url);
  return new Promise<{ data?: Record<string, unknown>; errors?: unknown[] }>((resolve, reject) => {
    const request = http.request(
      {
        host: hostname,
        port,
        path: '/graphql',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (error) {
            reject(error);
          }
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

export const newId = () => randomUUID();

/** Deletes a run's keys (those under `prefix`) from the shared Redis of REDIS_URL, if set. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  if (!process.env.REDIS_URL) return;
  const redis = new Redis(process.env.REDIS_URL);
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
}
