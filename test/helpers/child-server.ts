import net from 'node:net';
import { startServerProcess, type ServerProcess } from '../../bench/lib';
import { TEST_JWT_SECRET, TEST_OPERATION_LIMITS, testDataDir } from './test-server';

/** A port nobody listens on right now (the OS picks it), for a server or redis-server of a test's own. */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * The service in a child process on the test database and Redis, for tests that kill an
 * instance (SIGKILL) beside an in-process one; `env` adds to or overrides the defaults.
 */
export async function startChildServer(name: string, env: Record<string, string>): Promise<ServerProcess> {
  return startServerProcess(
    {
      DATABASE_URL: process.env.DATABASE_URL!,
      REDIS_URL: process.env.REDIS_URL!,
      JWT_SECRET: TEST_JWT_SECRET,
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'error',
      DATA_DIR: testDataDir(name),
      RATE_LIMITS: TEST_OPERATION_LIMITS,
      HTTP_MAX_CONCURRENT_PER_USER: '100000',
      ...env,
    },
    await freePort(),
  );
}
