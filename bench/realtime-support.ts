import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { collectGarbage } from './inspector-gc';
import { CHILD_METRICS_TOKEN, ROOT } from './lib';

/**
 * The plumbing of bench/realtime.bench.ts's phases: child processes (killed however the bench
 * ends), memory and CPU readings from /proc, the servers' Prometheus metrics, the open loop.
 */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
export const ms = (value: number) => `${value.toFixed(1)} ms`;
export const pct = (fraction: number) => `${(fraction * 100).toFixed(0)}%`;

// ---------------------------------------------------------------------------------------------
// Processes.

export const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface NodeProcess {
  url: string;
  child: ChildProcess;
  /** Its inspector's port, for {@link rssAfterGc}. */
  inspectPort: number;
}

/** The node arguments that run a TypeScript file of this repository from its source. */
export const fromSource = (script: string) => ['-r', 'ts-node/register/transpile-only', script];

/**
 * Starts a node process (`entry`: what follows node's own flags, e.g. {@link fromSource}) with
 * its inspector on `port + 20` for {@link collectGarbage}, and waits until `readyPath` answers.
 * The inspector's banner is dropped from stderr; the rest passes through.
 */
export async function startNode(entry: string[], port: number, readyPath: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<NodeProcess> {
  const inspectPort = port + 20;
  const name = entry[entry.length - 1];
  const child = track(
    spawn(process.execPath, [`--inspect=127.0.0.1:${inspectPort}`, ...nodeArgs, ...entry], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), ...env },
      stdio: ['ignore', 'inherit', 'pipe'],
    }),
  );
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk
      .toString('utf8')
      .split('\n')
      .filter((line) => !/^(Debugger listening on|For help, see:|Debugger attached|Debugger ending on|Waiting for the debugger)/.test(line))
      .join('\n');
    if (text.trim()) process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    if (await fetch(`${url}${readyPath}`).then((r) => r.ok, () => false)) break;
    if (i > 600) throw new Error(`${name} did not become ready`);
    await sleep(100);
  }
  return { url, child, inspectPort };
}

export function openFilesLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return Number(line!.split(/\s+/)[3]);
  } catch {
    return Infinity;
  }
}

// ---------------------------------------------------------------------------------------------
// Memory and CPU.

/** VmRSS of a process in bytes. */
function rss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line!.split(/\s+/)[1]) * 1024;
}

/** VmRSS of each process after a full GC in each (through its inspector). */
export async function rssAfterGc(processes: NodeProcess[]): Promise<number[]> {
  await Promise.all(processes.map((p) => collectGarbage(p.inspectPort)));
  await sleep(500);
  return processes.map((p) => rss(p.child.pid!));
}

/** User + system CPU seconds of a process so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100 on Linux)
}

/** CPU seconds so far of each process whose command name is one of `names` (e.g. all PostgreSQL backends), by pid. */
function cpuSecondsOf(names: string[]): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (names.includes(readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) byPid.set(Number(entry), cpuSeconds(Number(entry)));
    } catch {
      // The process ended meanwhile.
    }
  }
  return byPid;
}

/** CPU used between two {@link cpuSecondsOf} samples by the processes alive at the second (those that ended are missed). */
function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** Busy and total CPU seconds of the whole machine so far (all cores). */
export function machineCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0) / 100;
  const idle = (fields[3] + fields[4]) / 100;
  return { busy: total - idle, total };
}

/** CPU use over an interval, as fractions of one core (machine: of all cores). */
export interface CpuUse {
  servers: number[];
  postgres: number;
  redis: number;
  bench: number;
  others: number;
  machine: number;
  /** Milliseconds of server CPU (all servers) per message. */
  serverMsPerMessage: number;
}

/** Starts sampling the CPU of the servers, PostgreSQL, Redis, this process and the machine; the returned function, given the messages sent, measures the use since. */
export function cpuMeter(pids: number[]): (messages: number) => CpuUse {
  const read = () => ({
    servers: pids.map(cpuSeconds),
    postgres: cpuSecondsOf(['postgres']),
    redis: cpuSecondsOf(['redis-server']),
    bench: process.cpuUsage(),
    machine: machineCpu(),
    at: performance.now(),
  });
  const before = read();
  return (messages) => {
    const after = read();
    const seconds = (after.at - before.at) / 1000;
    const bench = process.cpuUsage(before.bench);
    const benchSeconds = (bench.user + bench.system) / 1e6;
    const serverSeconds = pids.map((_, i) => after.servers[i] - before.servers[i]);
    const serversTotal = serverSeconds.reduce((a, b) => a + b, 0);
    const postgres = cpuDelta(before.postgres, after.postgres);
    const redis = cpuDelta(before.redis, after.redis);
    const others = Math.max(0, after.machine.busy - before.machine.busy - (serversTotal + postgres + redis + benchSeconds));
    return {
      servers: serverSeconds.map((s) => s / seconds),
      postgres: postgres / seconds,
      redis: redis / seconds,
      bench: benchSeconds / seconds,
      others: others / seconds,
      machine: (after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total),
      serverMsPerMessage: (serversTotal * 1000) / messages,
    };
  };
}

export function describeCpu(c: CpuUse): string {
  return (
    `CPU while sending (100% = one core): server${c.servers.length > 1 ? 's' : ''} ${c.servers.map(pct).join(' + ')}, PostgreSQL ${pct(c.postgres)} (all databases), Redis ${pct(c.redis)},` +
    ` bench ${pct(c.bench)}, other processes ${pct(c.others)}; machine ${pct(c.machine)} busy of ${os.cpus().length} cores;` +
    ` server${c.servers.length > 1 ? 's' : ''} ${c.serverMsPerMessage.toFixed(2)} ms CPU per message`
  );
}

// ---------------------------------------------------------------------------------------------
// Metrics of the servers.

export async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${CHILD_METRICS_TOKEN}` } })).text();
}

export function metricSum(text: string, name: string, label = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(label)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** The servers' V8 heap in use, summed (prom-client's default metrics). */
export async function heapUsed(urls: string[]): Promise<number> {
  const texts = await Promise.all(urls.map(metricsText));
  return texts.reduce((sum, t) => sum + metricSum(t, 'nodejs_heap_size_used_bytes'), 0);
}

/**
 * p50 and p99 of a histogram of the servers (summed over them), as bucket upper bounds in ms;
 * with `before` (the same servers' metrics earlier), of the observations made since.
 */
export function histogramQuantiles(texts: string[], name: string, label = '', before: string[] = []): { p50: string; p99: string; count: number } {
  const buckets = new Map<string, number>();
  const add = (text: string, sign: number) => {
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}_bucket{`) || !line.includes(label)) continue;
      const match = line.match(/le="([^"]+)"[^}]*\} (\S+)$/);
      if (match) buckets.set(match[1], (buckets.get(match[1]) ?? 0) + sign * Number(match[2]));
    }
  };
  for (const text of texts) add(text, 1);
  for (const text of before) add(text, -1);
  const count = buckets.get('+Inf') ?? 0;
  const bound = (q: number) => {
    if (count === 0) return 'n/a';
    for (const [le, cumulative] of buckets) if (cumulative >= q * count) return le === '+Inf' ? '> 2500' : `<= ${Number(le) * 1000}`;
    return 'n/a';
  };
  return { p50: bound(0.5), p99: bound(0.99), count };
}

/**
 * Waits until the servers' `ws_active_subscriptions{kind="messageReceived"}` gauges add up to
 * `n` (the protocol has no per-subscription acknowledgement; the gauge counts a subscription
 * once its topic is subscribed in Redis). `problems` is shown when it gives up.
 */
export async function waitActiveSubscriptions(urls: string[], n: number, problems: () => string[]): Promise<void> {
  for (let i = 0; ; i += 1) {
    const texts = await Promise.all(urls.map(metricsText));
    const active = texts.reduce((sum, t) => sum + metricSum(t, 'ws_active_subscriptions', 'kind="messageReceived"'), 0);
    if (active >= n) return;
    if (i > 600) throw new Error(`only ${active} of ${n} subscriptions became active; first problems: ${problems().slice(0, 3).join('; ') || 'none reported'}`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------
// Load.

/** Calls `fire(i)` for i < count at `rate` per second, on schedule whatever the answers take. */
export async function openLoop(count: number, rate: number, fire: (i: number) => void): Promise<void> {
  const start = performance.now();
  let i = 0;
  while (i < count) {
    const due = Math.min(count, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    while (i < due) fire(i++);
    await sleep(Math.max(0, start + (i * 1000) / rate - performance.now()));
  }
}

export async function mapLimit<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await fn(items[index], index);
      }
    }),
  );
}
