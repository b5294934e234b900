import { readdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { DATA_JOBS, RECURRING_JOBS } from '../../src/jobs/registry';

/** The registry is the one list the scheduler reads: a job file missing from it would never run. */
describe('job registry', () => {
  const files = readdirSync(path.resolve(__dirname, '../../src/jobs')).filter((file) => file.endsWith('.job.ts'));
  const listed = [...RECURRING_JOBS.map(({ job }) => job.name), ...DATA_JOBS.map((job) => job.name)];

  test('lists every src/jobs/*.job.ts once, under its file name', () => {
    expect([...listed].sort()).toEqual(files.map((file) => file.replace(/\.job\.ts$/, '')).sort());
  });

  test('every recurring job has a schedule from the configuration', () => {
    const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(32) });
    for (const { schedule } of RECURRING_JOBS) {
      const { cron, timezone } = schedule(config.jobs);
      expect(cron.split(' ').length).toBeGreaterThanOrEqual(5);
      expect(timezone).toBeTruthy();
    }
  });
});
