import { ConfigError, loadConfig } from '../src/config';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig', () => {
  test('defaults without any variable', () => {
    const config = loadConfig({});
    expect(config.nodeEnv).toBe('development');
    expect(config.port).toBe(4000);
    expect(config.migrateOnStart).toBe(true);
    expect(config.jobs.archiveCron).toBe('0 2 * * *');
    expect(config.database.preparedStatements).toBe(true);
  });

  test('HTTP_MAX_CONNECTIONS_PER_IP=0 means no cap (documented; the benchmarks rely on it)', () => {
    expect(loadConfig({ HTTP_MAX_CONNECTIONS_PER_IP: '0' }).abuse.maxConnectionsPerIp).toBe(0);
    expect(problemsOf({ HTTP_MAX_CONNECTIONS_PER_IP: '-1' }).join('\n')).toMatch(/HTTP_MAX_CONNECTIONS_PER_IP must be an integer >= 0/);
  });

  test('two wrong variables make one error naming both', () => {
    expect(() => loadConfig({ PORT: 'eighty', ARCHIVE_CRON: '0 25 * * *' })).toThrow(ConfigError);
    const problems = problemsOf({ PORT: 'eighty', ARCHIVE_CRON: '0 25 * * *' });
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/PORT must be an integer >= 0, got "eighty"/);
    expect(problems.join('\n')).toMatch(/ARCHIVE_CRON must be a cron expression/);
  });

  test('cron expressions are checked by cron-parser, five or six fields', () => {
    expect(loadConfig({ IMAGE_EXPIRY_CRON: '0 0 3 * * MON-FRI' }).jobs.imageExpiryCron).toBe('0 0 3 * * MON-FRI');
    expect(problemsOf({ IMAGE_EXPIRY_CRON: 'every night' })[0]).toMatch(/^IMAGE_EXPIRY_CRON /);
  });

  test('empty variables count as unset; booleans, secrets and URLs are checked', () => {
    expect(loadConfig({ PORT: '', S3_FORCE_PATH_STYLE: '' }).port).toBe(4000);
    const problems = problemsOf({ JOBS_IN_PROCESS: 'maybe', JWT_SECRET: 'short', PUBLIC_URL: 'ftp://x', NODE_ENV: 'staging' });
    expect(problems.map((problem) => problem.split(' ')[0]).sort()).toEqual(['JOBS_IN_PROCESS', 'JWT_SECRET', 'NODE_ENV', 'PUBLIC_URL']);
  });

  test('rules between variables', () => {
    expect(problemsOf({ NODE_ENV: 'production' })[0]).toMatch(/JWT_SECRET or JWT_PUBLIC_KEY/);
    expect(problemsOf({ S3_ENDPOINT: 'http://localhost:9000' })).toEqual(['S3_ENDPOINT is set but S3_BUCKET is not']);
    expect(problemsOf({ PRESENCE_HEARTBEAT_MS: '5000', PRESENCE_INSTANCE_TTL_MS: '5000' })[0]).toMatch(/PRESENCE_INSTANCE_TTL_MS/);
    expect(loadConfig({ DATABASE_URL: 'postgresql://a/b', DATABASE_DIRECT_URL: 'postgresql://c/b' }).database.preparedStatements).toBe(false);
  });

  test('database connections: the direct URL defaults to DATABASE_URL', () => {
    const plain = loadConfig({ DATABASE_URL: 'postgresql://a/b' }).database;
    expect(plain).toMatchObject({ directUrl: 'postgresql://a/b' });
    const split = loadConfig({ DATABASE_URL: 'postgresql://bouncer/b', DATABASE_DIRECT_URL: 'postgresql://primary/b' }).database;
    expect(split).toMatchObject({ directUrl: 'postgresql://primary/b', preparedStatements: false });
  });
});
