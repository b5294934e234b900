import { execFile, spawn } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

/**
 * startEmbeddedPostgres runs in child processes (see the fixture for why): each run is a fresh
 * process on the same DATA_DIR, like successive `npm start`s.
 */
const root = path.resolve(__dirname, '..');
const child = path.join(__dirname, 'fixtures', 'embedded-postgres-child.ts');
const nodeArgs = ['-r', 'ts-node/register/transpile-only', child];

interface ChildResult {
  url: string;
  clusterDir: string;
  database: string;
  notes: string[];
}

let dataDir: string;
const clusterDir = () => path.join(dataDir, 'postgres');

function run(...args: string[]): Promise<ChildResult> {
  return runIn(dataDir, ...args);
}

async function runIn(dir: string, ...args: string[]): Promise<ChildResult> {
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeArgs, dir, ...args], { cwd: root, timeout: 90_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as ChildResult;
}

/** Starts a child that keeps the server running, and kills it with SIGKILL once it answered. */
async function runAndKill(): Promise<ChildResult> {
  const proc = spawn(process.execPath, [...nodeArgs, dataDir, 'hold'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const result = await new Promise<ChildResult>((resolve, reject) => {
    proc.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('\n')) resolve(JSON.parse(output.split('\n')[0]) as ChildResult);
    });
    proc.once('exit', (code) => reject(new Error(`the child exited early (code ${code})`)));
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGKILL');
  await exited;
  return result;
}

async function postmasterPid(): Promise<number | undefined> {
  const file = path.join(clusterDir(), 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  return Number.parseInt((await fs.readFile(file, 'utf8')).split('\n')[0], 10);
}

/** A zombie still answers kill(pid, 0); /proc tells whether it really runs. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').length > 0;
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number): Promise<void> {
  for (let i = 0; i < 150 && isRunning(pid); i += 1) await delay(100);
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'embedded-postgres-test-'));
});

afterAll(async () => {
  // A server a killed child left behind, if a test failed half-way.
  const pid = await postmasterPid();
  if (pid && isRunning(pid)) {
    process.kill(pid, 'SIGINT');
    await waitUntilGone(pid);
  }
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('startEmbeddedPostgres', () => {
  it('creates the cluster and the messaging database on the first start, listening on 127.0.0.1', async () => {
    const first = await run('write', 'first run');

    expect(first.database).toBe('messaging');
    expect(new URL(first.url).hostname).toBe('127.0.0.1');
    expect(first.notes).toEqual(['first run']);
    expect(existsSync(path.join(clusterDir(), 'PG_VERSION'))).toBe(true);
    expect((await fs.stat(path.join(dataDir, 'postgres-password'))).mode & 0o777).toBe(0o600);
    // Stopped on the way out: nothing holds the cluster any more.
    expect(await postmasterPid()).toBeUndefined();
  }, 120_000);

  it('reuses the data on the next start', async () => {
    const second = await run('write', 'second run');

    expect(second.notes).toEqual(['first run', 'second run']);
  }, 120_000);

  it('reuses the server a killed process left running', async () => {
    const killed = await runAndKill();
    const orphan = await postmasterPid();
    expect(orphan && isRunning(orphan)).toBe(true);

    const next = await run('read');

    expect(new URL(next.url).port).toBe(new URL(killed.url).port);
    expect(next.notes).toEqual(['first run', 'second run']);
    // Not started by that run, so not stopped by it either.
    expect(await postmasterPid()).toBe(orphan);
  }, 120_000);

  it('starts again after the server itself was killed, removing its stale postmaster.pid', async () => {
    const pid = await postmasterPid();
    expect(pid).toBeDefined();
    process.kill(pid as number, 'SIGKILL');
    await waitUntilGone(pid as number);
    expect(await postmasterPid()).toBe(pid);

    const next = await run('write', 'after a crash');

    expect(next.notes).toEqual(['after a crash', 'first run', 'second run']);
    expect(await postmasterPid()).toBeUndefined();
  }, 120_000);
});

/**
 * As root, PostgreSQL runs as the postgres OS user. A DATA_DIR below a folder that user cannot
 * enter (/root, a `mktemp -d`) must still work: the cluster moves to a folder of that user
 * under the temp directory, recorded in DATA_DIR, and the folder above is left alone.
 */
const asRoot = process.getuid?.() === 0 && existsSync('/usr/bin/id') ? describe : describe.skip;
asRoot('startEmbeddedPostgres as root, DATA_DIR inside a 0700 folder', () => {
  let outer: string;
  let inner: string;
  let relocated: string | undefined;

  beforeAll(async () => {
    outer = (await promisify(execFile)('mktemp', ['-d'])).stdout.trim();
    inner = path.join(outer, 'data');
  });

  afterAll(async () => {
    await fs.rm(outer, { recursive: true, force: true });
    if (relocated) await fs.rm(relocated, { recursive: true, force: true });
  });

  it('keeps the cluster where the postgres user can reach it, and says so in DATA_DIR', async () => {
    expect((await fs.stat(outer)).mode & 0o777).toBe(0o700);

    const first = await runIn(inner, 'write', 'behind a closed door');
    relocated = first.clusterDir;

    expect(first.notes).toEqual(['behind a closed door']);
    expect(path.relative(outer, first.clusterDir).startsWith('..')).toBe(true);
    expect(path.dirname(first.clusterDir)).toBe(os.tmpdir());
    const postgresUid = Number((await promisify(execFile)('id', ['-u', 'postgres'])).stdout);
    expect((await fs.stat(first.clusterDir)).uid).toBe(postgresUid);
    expect((await fs.readFile(path.join(inner, 'postgres-location'), 'utf8')).trim()).toBe(first.clusterDir);
    // The folder above DATA_DIR is not opened up.
    expect((await fs.stat(outer)).mode & 0o777).toBe(0o700);
  }, 120_000);

  it('finds the same cluster on the next start', async () => {
    const next = await runIn(inner, 'read');

    expect(next.clusterDir).toBe(relocated);
    expect(next.notes).toEqual(['behind a closed door']);
  }, 120_000);
});
