import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService } from '../src/bootstrap';
import { loadConfig } from '../src/config';
import { lockDataDir } from '../src/db/data-dir-lock';
import { createLogger } from '../src/observability/logger';

/** A second service instance on one DATA_DIR fails fast instead of riding the first one's PostgreSQL. */
let dataDir: string;
const lockFile = () => path.join(dataDir, 'service.pid');

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'data-dir-lock-test-'));
});

afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

/** Another live node process, standing for a first instance of the service. */
async function withOtherNode(run: (pid: number) => Promise<void>): Promise<void> {
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  await new Promise((resolve) => other.once('spawn', resolve));
  try {
    await run(other.pid!);
  } finally {
    other.kill('SIGKILL');
  }
}

test('a second instance on the same DATA_DIR is refused with a message that says what to do', async () => {
  await withOtherNode(async (pid) => {
    await fs.writeFile(lockFile(), `${pid}\n`);
    await expect(lockDataDir(dataDir)).rejects.toThrow(new RegExp(`pid ${pid}\\) is already running on DATA_DIR .*own DATA_DIR.*DATABASE_URL`));
    expect(await fs.readFile(lockFile(), 'utf8')).toBe(`${pid}\n`);
  });
});

test('startService without DATABASE_URL stops before touching the embedded PostgreSQL of a DATA_DIR in use', async () => {
  await withOtherNode(async (pid) => {
    await fs.writeFile(lockFile(), `${pid}\n`);
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir });
    await expect(startService(config, { logger: createLogger('silent'), port: 0 })).rejects.toThrow(/already running on DATA_DIR/);
    await expect(fs.access(path.join(dataDir, 'postgres'))).rejects.toThrow();
  });
});

test('the lock is taken, released, and can be taken again', async () => {
  const lock = await lockDataDir(dataDir);
  expect(await fs.readFile(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
  await lock.release();
  await lock.release();
  await expect(fs.access(lockFile())).rejects.toThrow();
  await (await lockDataDir(dataDir)).release();
});

test('a lock left by a process that is gone, or naming this very process, is taken over', async () => {
  const gone = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const gonePid = gone.pid!;
  await new Promise((resolve) => gone.once('exit', resolve));
  await fs.writeFile(lockFile(), `${gonePid}\n`);
  const first = await lockDataDir(dataDir);
  expect(await fs.readFile(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
  // A restarted container: the same pid as the previous run's.
  const second = await lockDataDir(dataDir);
  await second.release();
  await first.release();
});

test('release leaves a lock that another process took in the meantime', async () => {
  const lock = await lockDataDir(dataDir);
  await withOtherNode(async (pid) => {
    await fs.writeFile(lockFile(), `${pid}\n`);
    await lock.release();
    expect(await fs.readFile(lockFile(), 'utf8')).toBe(`${pid}\n`);
  });
});
