import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Fault 1's last line: an unhandled rejection anywhere is a bug, logged, never the end of the
 * process. Node's default ends it; `logUnhandledRejections` (installed by main.ts and
 * worker.ts before anything starts) keeps it running.
 */
test('an unhandled rejection is logged and the process keeps running', () => {
  const script = `
    const { createLogger } = require('./src/observability/logger');
    const { logUnhandledRejections } = require('./src/observability/unhandled-rejections');
    logUnhandledRejections(createLogger('error'));
    Promise.reject(new Error('nobody listens to me'));
    setTimeout(() => { process.stdout.write('\\nstill running\\n'); process.exit(0); }, 200);
  `;
  const result = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: path.resolve(__dirname, '../..'),
    encoding: 'utf8',
    env: { ...process.env, LOG_FORMAT: 'json' },
  });
  expect(result.status).toBe(0);
  expect(result.stdout).toContain('still running');
  const line = result.stdout.split('\n').find((text) => text.includes('unhandled promise rejection'));
  expect(line).toBeDefined();
  expect(JSON.parse(line!)).toMatchObject({ level: 50, err: { type: 'Error' } });
});

test('the service entry points install it before they start anything', () => {
  for (const entry of ['main.ts', 'worker.ts']) {
    const source = readFileSync(path.resolve(__dirname, '../../src', entry), 'utf8');
    expect(source.indexOf('logUnhandledRejections(logger)')).toBeGreaterThan(-1);
    expect(source.indexOf('logUnhandledRejections(logger)')).toBeLessThan(source.search(/await (startService|openJobRuntime)\(/));
  }
});
