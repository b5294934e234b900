import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { loadConfig, type Config } from '../../src/config';
import { openJobRuntime, type JobRuntime } from '../../src/jobs/job-runtime';
import { createLogger } from '../../src/observability/logger';
import type { Metrics } from '../../src/observability/metrics';
import { DevicePlatform } from '../../src/schema/common/enums';
import { testDataDir } from '../helpers/test-server';

/**
 * Agenda on PostgreSQL with two workers (`npm run worker` twice, in process here): jobs
 * scheduled by a process that is gone by then are all run, each once; recurring jobs exist once
 * however many workers start, and a due run happens on one worker only.
 */

const logger = createLogger('silent');
let config: Config;
const runtimes: JobRuntime[] = [];

async function open(): Promise<JobRuntime> {
  const runtime = await openJobRuntime(config, logger);
  runtimes.push(runtime);
  return runtime;
}

async function runs(metrics: Metrics[], job: string): Promise<number> {
  let total = 0;
  for (const m of metrics) {
    const { values } = await m.jobRuns.get();
    total += values.filter((v) => v.labels.job === job && v.labels.outcome === 'success').reduce((sum, v) => sum + v.value, 0);
  }
  return total;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(() => {
  config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    REDIS_PREFIX: `test:${randomUUID()}:`,
    MIGRATE_ON_START: 'false',
    DATA_DIR: testDataDir('server'),
    PUSH_BATCH_WINDOW_MS: '300',
    JOBS_PROCESS_EVERY_MS: '100',
    JOBS_LOCK_LIFETIME_MS: '2000',
    // The archive job runs here only to be counted: it must not touch other tests' rows.
    ARCHIVE_IDLE_DAYS: '36500',
  });
});
afterAll(async () => {
  for (const runtime of runtimes.reverse()) await runtime.close();
});

test('two workers run every job scheduled by a process that has gone, each once', async () => {
  // A producer (an API instance) stores messages for offline users with devices, then goes away.
  const producer = await openJobRuntime(config, logger);
  const { services } = producer.deps;
  const em = () => producer.deps.services.deps.orm.em.fork() as EntityManager;
  const conversations: { bo: string; conversationId: string }[] = [];
  for (let i = 0; i < 12; i += 1) {
    const [ana, bo] = [randomUUID(), randomUUID()];
    await em().execute('insert into users (id, display_name) values (?, ?), (?, ?)', [ana, 'Ana', bo, 'Bo']);
    await services.notificationSettings.registerDevice(em(), bo, `worker-${bo}`, DevicePlatform.ANDROID);
    const { conversation } = await services.conversations.findOrCreate(em(), [ana, bo], null, ana);
    await services.messages.send(ana, { conversationId: conversation.id, content: `hello ${i}` });
    await services.messages.send(ana, { conversationId: conversation.id, content: `again ${i}` });
    conversations.push({ bo, conversationId: conversation.id });
  }
  await producer.close();

  const [a, b] = await Promise.all([open(), open()]);
  // Every job run started by either worker (remote: the other worker's, relayed by NOTIFY).
  const started: { worker: string; id: string; name: string }[] = [];
  for (const [worker, runtime] of [['a', a], ['b', b]] as const) {
    runtime.scheduler.agenda.on('start', (job: { attrs: { _id?: unknown; name: string } }, remote?: boolean) => {
      if (!remote) started.push({ worker, id: String(job.attrs._id), name: job.attrs.name });
    });
  }
  await Promise.all([a.scheduler.start(a.deps), b.scheduler.start(b.deps)]);
  const metrics = [a, b].map((runtime) => runtime.deps.services.deps.metrics);
  const db = () => a.deps.services.deps.orm.em.fork() as EntityManager;

  await waitFor(async () => (await runs(metrics, 'deliver-conversation-push')) >= 12, '12 delivery runs');
  const ids = conversations.map((c) => c.conversationId);
  const delivered = await db().execute(
    `select n.conversation_id, count(distinct n.id)::int as notifications, count(d.*)::int as deliveries,
            count(*) filter (where d.state = 'sent')::int as sent
     from push_notifications n join push_deliveries d on d.notification_id = n.id
     where n.conversation_id = any(array[?]::uuid[]) group by n.conversation_id`,
    [ids],
  );
  expect(delivered).toHaveLength(12);
  for (const row of delivered) expect(row).toMatchObject({ notifications: 1, deliveries: 1, sent: 1 });
  const [{ body }] = await db().execute(`select body from push_notifications where conversation_id = ?`, [conversations[0].conversationId]);
  expect(body).toBe('2 new messages from Ana');

  // Recurring jobs: one row per name, whichever worker started first.
  const recurring = await db().execute(
    `select name, count(*)::int as n from agenda_jobs where type = 'single' group by name order by name`,
  );
  expect(recurring).toEqual([
    { name: 'archive-idle-conversations', n: 1 },
    { name: 'delete-expired-images', n: 1 },
    { name: 'delete-pending-objects', n: 1 },
    { name: 'prune-delivery-logs', n: 1 },
    { name: 'push-maintenance', n: 1 },
    { name: 'send-email-digests', n: 1 },
  ]);

  // A due run of a recurring job happens on one worker only.
  await db().execute(`update agenda_jobs set next_run_at = now() where name in ('archive-idle-conversations', 'push-maintenance') and type = 'single'`);
  await waitFor(
    async () => (await runs(metrics, 'archive-idle-conversations')) >= 1 && (await runs(metrics, 'push-maintenance')) >= 1,
    'the recurring jobs to run',
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await runs(metrics, 'archive-idle-conversations')).toBe(1);
  expect(await runs(metrics, 'push-maintenance')).toBe(1);
  // Maintenance may have found other tests' batches (their clocks were fake): count runs by job id.
  expect(started.filter((run) => run.name === 'deliver-conversation-push').length).toBeGreaterThanOrEqual(12);
  expect(new Set(started.map((run) => run.id)).size).toBe(started.length);
  const [next] = await db().execute(`select next_run_at from agenda_jobs where name = 'archive-idle-conversations'`);
  expect(new Date(next.next_run_at).getUTCHours()).toBe(2);
});
