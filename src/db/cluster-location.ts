import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type pino from 'pino';

/** The uid/gid PostgreSQL runs as; undefined when that is this process's own user. */
export type PostgresOwner = { uid: number; gid: number } | undefined;

const OS_USER = 'postgres';
/** File in DATA_DIR naming the cluster directory when it had to live outside DATA_DIR. */
export const LOCATION_FILE = 'postgres-location';

/** The uid/gid PostgreSQL must run as: the `postgres` OS user when we are root, else ourselves. */
export async function postgresOwner(): Promise<PostgresOwner> {
  if (process.getuid?.() !== 0) return undefined;
  const run = promisify(execFile);
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', OS_USER]), run('id', ['-g', OS_USER])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    throw new Error(
      'PostgreSQL refuses to run as root and there is no "postgres" OS user to run it as: ' +
        'create one (useradd postgres), run the service as another user, or set DATABASE_URL',
    );
  }
}

/**
 * Where the cluster of `dataDir` lives, created and ready for `owner`: `${dataDir}/postgres`
 * normally. As root, PostgreSQL runs as the postgres OS user, which may not be able to enter
 * a folder above DATA_DIR (/root, a `mktemp -d`): then the cluster goes to a folder of that user
 * under the system temp directory, named in `${dataDir}/postgres-location` so that later starts
 * (and `npm run worker`, migrations) find the same one. Folders inside DATA_DIR are opened for
 * it (search permission only); folders above it are never changed.
 */
export async function locateClusterDir(dataDir: string, owner: PostgresOwner, logger: pino.Logger): Promise<string> {
  const inPlace = path.join(dataDir, 'postgres');
  await fs.mkdir(dataDir, { recursive: true });
  if (!owner) {
    await fs.mkdir(inPlace, { recursive: true });
    return inPlace;
  }
  const recorded = await recordedClusterDir(dataDir, owner, logger);
  if (recorded) return recorded;
  const blocked = await firstBlockedAncestor(path.dirname(dataDir), owner);
  if (!blocked) {
    await prepareInPlace(dataDir, inPlace, owner);
    return inPlace;
  }
  if (await exists(path.join(inPlace, 'PG_VERSION'))) {
    // A cluster made when the path was open: moving away would silently start an empty one.
    throw new Error(`PostgreSQL runs as the postgres OS user, which cannot enter ${blocked}: allow it (chmod o+x ${blocked}) or choose another DATA_DIR`);
  }
  return relocate(dataDir, owner, blocked, logger);
}

async function relocate(dataDir: string, owner: { uid: number; gid: number }, blocked: string, logger: pino.Logger): Promise<string> {
  const base = os.tmpdir();
  const baseBlocked = await firstBlockedAncestor(base, owner);
  if (baseBlocked) {
    throw new Error(
      `PostgreSQL runs as the postgres OS user, which can enter neither ${blocked} (above DATA_DIR) nor ${baseBlocked} (the temp directory): ` +
        `allow it (chmod o+x ${blocked}) or choose another DATA_DIR`,
    );
  }
  // mkdtemp: a fresh name nobody else can have prepared (the temp directory is shared), 0700.
  const clusterDir = await fs.mkdtemp(path.join(base, 'messaging-postgres-'));
  await fs.chown(clusterDir, owner.uid, owner.gid);
  await fs.writeFile(path.join(dataDir, LOCATION_FILE), `${clusterDir}\n`, { mode: 0o600 });
  logger.warn({ clusterDir, blocked }, `the postgres OS user cannot enter ${blocked}: the embedded PostgreSQL cluster lives in ${clusterDir} instead (recorded in DATA_DIR/${LOCATION_FILE})`);
  return clusterDir;
}

/** The directory named by the location file; undefined when there is none or it was deleted (a reboot emptied /tmp). */
async function recordedClusterDir(dataDir: string, owner: { uid: number; gid: number }, logger: pino.Logger): Promise<string | undefined> {
  const file = path.join(dataDir, LOCATION_FILE);
  let recorded: string;
  try {
    recorded = (await fs.readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const info = await fs.lstat(recorded).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!info) {
    logger.warn({ clusterDir: recorded }, `the embedded PostgreSQL cluster named in DATA_DIR/${LOCATION_FILE} is gone: creating a new one`);
    return undefined;
  }
  // Anyone can create folders in the temp directory: use it only if it is still the one we made.
  if (!path.isAbsolute(recorded) || !info.isDirectory() || info.uid !== owner.uid) {
    throw new Error(`${recorded}, named in ${file}, is not a directory of the postgres OS user: delete ${file} to start afresh`);
  }
  return recorded;
}

/** The first of `dir` and its parents that `who` cannot pass through, if any. */
async function firstBlockedAncestor(dir: string, who: { uid: number; gid: number }): Promise<string | undefined> {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    if (!canEnter(await fs.stat(current), who)) return current;
    if (current === path.dirname(current)) return undefined;
  }
}

/** Gives the cluster directory to the postgres user and opens DATA_DIR's folders to it (mkdtemp makes 0700 ones). */
async function prepareInPlace(dataDir: string, clusterDir: string, owner: { uid: number; gid: number }): Promise<void> {
  await fs.mkdir(clusterDir, { recursive: true });
  const stat = await fs.stat(clusterDir);
  if (stat.uid !== owner.uid) await fs.chown(clusterDir, owner.uid, owner.gid);
  for (let dir = path.dirname(clusterDir); isWithin(dir, dataDir); dir = path.dirname(dir)) {
    const info = await fs.stat(dir);
    // Search permission only: the postgres user can pass through, not list.
    if (!canEnter(info, owner)) await fs.chmod(dir, (info.mode & 0o7777) | 0o001);
    if (dir === path.dirname(dir)) break;
  }
}

function canEnter(info: { uid: number; gid: number; mode: number }, who: { uid: number; gid: number }): boolean {
  if (info.uid === who.uid) return (info.mode & 0o100) !== 0;
  if (info.gid === who.gid) return (info.mode & 0o010) !== 0;
  return (info.mode & 0o001) !== 0;
}

function isWithin(dir: string, root: string): boolean {
  const relative = path.relative(root, dir);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** True when `file` exists (any kind of entry). */
export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
