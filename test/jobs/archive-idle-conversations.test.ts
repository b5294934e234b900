import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { loadConfig } from '../../src/config';
import { PgSql } from '../../src/db/sql';
import { Outbox } from '../../src/services/outbox';
import { initORM, type Orm } from '../../src/db/orm';
import { openJobRuntime } from '../../src/jobs/job-runtime';
import { findJob } from '../../src/jobs/registry';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { InProcessPubSub } from '../../src/realtime/in-process-pubsub';
import { topics } from '../../src/realtime/topics';
import { AutoArchiveService } from '../../src/services/auto-archive.service';
import { EventPublisher } from '../../src/services/event-publisher';
import { autoArchiveAudit, removeSeed, seedConversations, statusCounts } from './seed';
import { testDataDir } from '../helpers/test-server';

/**
 * archive-idle-conversations: what it changes (status, archivedAt, archived by nobody, one
 * audit row each, an ARCHIVED event to both participants), batches, a second run that finds
 * nothing, and a run SIGKILLed mid-way in a child process then run again.
 */

const ROOT = path.resolve(__dirname, '../..');
let orm: Orm;
const em = () => orm.em.fork() as EntityManager;
const logger = createLogger('silent');

const sql = new PgSql({ connectionString: process.env.DATABASE_URL!, max: 2, preparedStatements: true });
const outbox = new Outbox({ sql, logger, leaseMs: 60_000, sweepMs: 60_000 });

beforeAll(async () => {
  orm = await initORM(process.env.DATABASE_URL!);
});
afterAll(async () => {
  await outbox.close();
  await sql.close();
  await orm.close();
});

describe('the auto-archive service', () => {
  const pubsub = new InProcessPubSub();
  const service = new AutoArchiveService({
    events: new EventPublisher({ pubsub, logger, outbox }),
    metrics: createMetrics(),
    logger,
    outboxLeaseMs: 60_000,
  });
  const tag = `archive-${randomUUID().slice(0, 8)}`;
  afterAll(() => removeSeed(em(), tag));

  test('archives idle ACTIVE conversations by nobody, with an audit row and an event each, in batches; a second run does nothing', async () => {
    await seedConversations(em(), { tag, idle: 5, recent: 3, users: 6 });
    // Idle but archived by hand: stays ARCHIVED. Idle by creation but with a recent message: stays ACTIVE.
    await em().execute(`update conversations set status = 'ARCHIVED' where job_application_id = ?`, [`${tag}-1`]);
    await em().execute(`update conversations set last_message_at = now() - interval '2 days' where job_application_id = ?`, [`${tag}-2`]);
    const [watched] = await em().execute(`select id, participant_a_id, participant_b_id from conversations where job_application_id = ?`, [`${tag}-3`]);
    const inboxes = [watched.participant_a_id, watched.participant_b_id].map((userId: string) => pubsub.subscribe(topics.userConversationEvents(userId)));
    await Promise.all(inboxes.map((inbox) => inbox.ready));

    const now = new Date();
    const first = await service.archiveIdle(em(), { idleDays: 90, batchSize: 2, now });
    expect(first.archived).toBeGreaterThanOrEqual(3);
    expect(first.batches).toBeGreaterThanOrEqual(2);
    expect(await statusCounts(em(), tag)).toEqual({ ACTIVE: 4, ARCHIVED: 1, AUTO_ARCHIVED: 3 });

    const archived = await em().execute(
      `select archived_at, archived_by_id from conversations where job_application_id like ? || '-%' and status = 'AUTO_ARCHIVED'`,
      [tag],
    );
    for (const row of archived) {
      expect(new Date(row.archived_at).getTime()).toBe(now.getTime());
      expect(row.archived_by_id).toBeNull();
    }
    const audit = await em().execute(`select actor_id, action, data from audit_log where entity_type = 'conversation' and entity_id = ?`, [watched.id]);
    expect(audit.filter((row) => row.action === 'conversation.auto_archived')).toEqual([
      { actor_id: null, action: 'conversation.auto_archived', data: expect.objectContaining({ from: 'ACTIVE', to: 'AUTO_ARCHIVED', idleDays: 90 }) },
    ]);
    for (const inbox of inboxes) {
      // A participant may have had other conversations archived first.
      const events = [];
      do events.push((await inbox.next()).value);
      while (events.at(-1).conversationId !== watched.id && events.length < 5);
      expect(events.at(-1)).toEqual({ kind: 'ARCHIVED', conversationId: watched.id });
      await inbox.return?.();
    }

    const second = await service.archiveIdle(em(), { idleDays: 90, batchSize: 2 });
    expect(second.archived).toBe(0);
    expect(await autoArchiveAudit(em(), tag)).toEqual({ rows: 3, conversations: 3 });
  });

  test('is registered by name for `npm run jobs:run`', () => {
    expect(findJob('archive-idle-conversations')?.description).toMatch(/AUTO_ARCHIVED/);
  });
});

describe('killed mid-run and run again', () => {
  const tag = `kill-${randomUUID().slice(0, 8)}`;
  const IDLE = 10_000;
  afterAll(() => removeSeed(em(), tag));

  test('each batch is all or nothing; the next run finishes without a duplicate audit row', async () => {
    await seedConversations(em(), { tag, idle: IDLE, recent: 20 });
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      MIGRATE_ON_START: 'false',
      DATA_DIR: testDataDir('server'),
      REDIS_URL: '',
      ARCHIVE_BATCH_SIZE: '100',
    };
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/jobs-run.ts', 'archive-idle-conversations'], {
      cwd: ROOT,
      env,
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const deadline = Date.now() + 20_000;
    while (((await statusCounts(em(), tag)).AUTO_ARCHIVED ?? 0) < 200) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('the job did not make progress in its child process');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const atKill = (await statusCounts(em(), tag)).AUTO_ARCHIVED;
    expect(atKill).toBeGreaterThanOrEqual(200);
    expect(atKill).toBeLessThan(IDLE);
    // Whole batches only: every archived conversation has its audit row, and no other has one.
    expect(await autoArchiveAudit(em(), tag)).toEqual({ rows: atKill, conversations: atKill });

    // Run again, as `npm run jobs:run -- archive-idle-conversations` does, through the registry.
    const config = loadConfig({ ...env, DATABASE_URL: process.env.DATABASE_URL, ARCHIVE_BATCH_SIZE: '1000' });
    const runtime = await openJobRuntime(config, logger);
    try {
      await findJob('archive-idle-conversations')!.run(runtime.deps);
      expect(await statusCounts(em(), tag)).toEqual({ ACTIVE: 20, AUTO_ARCHIVED: IDLE });
      expect(await autoArchiveAudit(em(), tag)).toEqual({ rows: IDLE, conversations: IDLE });
      // And once more: nothing left to do.
      await findJob('archive-idle-conversations')!.run(runtime.deps);
      expect(await autoArchiveAudit(em(), tag)).toEqual({ rows: IDLE, conversations: IDLE });
    } finally {
      await runtime.close();
    }
  }, 60_000);
});
