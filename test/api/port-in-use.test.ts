import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TEST_JWT_SECRET } from '../helpers/test-server';

/**
 * `npm start` on a taken port: one clear sentence and exit code 1, not graphql-ws's
 * "Internal error emitted on the WebSocket server". The service runs as `npm start` does, in a
 * child process, against the test database.
 */
const root = path.resolve(__dirname, '../..');

let occupier: net.Server;
let port: number;
let dataDir: string;

beforeAll(async () => {
  occupier = net.createServer();
  // Where main.ts listens: every interface.
  await new Promise<void>((resolve) => occupier.listen(0, '0.0.0.0', resolve));
  port = (occupier.address() as net.AddressInfo).port;
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'port-in-use-'));
});

afterAll(async () => {
  await new Promise((resolve) => occupier.close(resolve));
  await fs.rm(dataDir, { recursive: true, force: true });
});

test('a taken port fails the start with "port N is in use: set PORT" and exit code 1', async () => {
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'development',
    PORT: String(port),
    DATABASE_URL: process.env.DATABASE_URL,
    JWT_SECRET: TEST_JWT_SECRET,
    MIGRATE_ON_START: 'false',
    JOBS_IN_PROCESS: 'false',
    DATA_DIR: dataDir,
    LOG_FORMAT: 'json',
  };
  const result = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
    execFile(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], { cwd: root, env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });

  expect(result.stderr).toContain(`port ${port} is in use: set PORT`);
  expect(result.code).toBe(1);
  expect(result.stderr + result.stdout).not.toContain('Internal error emitted on the WebSocket server');
  expect(result.stderr).not.toMatch(/^\s+at /m);
}, 90_000);
