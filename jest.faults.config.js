/**
 * `npm run test:faults`: the fault tests (test/faults). Each file starts the PostgreSQL cluster
 * and redis-server of its own on free ports and kills, freezes or restarts them; the machine's
 * shared services are never touched, so these tests need no global setup.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: undefined,
  globalTeardown: undefined,
  testTimeout: 60000,
};
