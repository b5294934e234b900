import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';

/** Held by a running service instance whose database is the embedded PostgreSQL of a DATA_DIR. */
export interface DataDirLock {
  /** Removes the lock file if it is still ours; idempotent. */
  release(): Promise<void>;
}

const LOCK_FILE = 'service.pid';

/**
 * Claims `${dataDir}/service.pid` for this process, or throws when another live instance of the
 * service holds it. Without this, a second `npm start` on the same DATA_DIR would reuse the
 * first one's embedded PostgreSQL and die with it. Scripts (migrate, jobs:run) do not take the
 * lock: they are meant to share the running instance's server.
 *
 * A lock left by a process that is gone (killed, or a restarted container whose pid matches
 * ours) is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const file = path.join(path.resolve(dataDir), LOCK_FILE);
  await fs.mkdir(path.dirname(file), { recursive: true });
  for (let attempt = 0; ; attempt += 1) {
    try {
      await fs.writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const holder = await readHolder(file);
    if (holder !== undefined && holder !== process.pid && isNodeProcess(holder)) {
      throw new Error(
        `Another instance of the service (pid ${holder}) is already running on DATA_DIR ${path.dirname(file)} ` +
          'with its embedded PostgreSQL. Give this instance its own DATA_DIR, or point every instance at one ' +
          `PostgreSQL with DATABASE_URL (and REDIS_URL). If no such process runs, delete ${file}.`,
      );
    }
    await fs.rm(file, { force: true });
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      if ((await readHolder(file)) === process.pid) await fs.rm(file, { force: true });
    },
  };
}

async function readHolder(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await fs.readFile(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Alive, and on Linux a node process (pids get reused, notably in containers). */
function isNodeProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    const executable = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return /node/i.test(path.basename(executable));
  } catch {
    return false;
  }
}
