import type { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { PostgresBackend } from '@agendajs/postgres-backend';
import { Agenda, exponential, type Job } from 'agenda';
import { Pool } from 'pg';
import type { JobsConfig } from '../config';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { JobQueue } from '../services/job-queue';
import type { JobDeps } from './job';
import { WebhookDispatcher } from '../webhooks/webhook-dispatcher';
import { DATA_JOBS, RECURRING_JOBS } from './registry';

/** Options of {@link AgendaScheduler.create}. */
export interface AgendaSchedulerOptions {
  /**
   * The service's database, directly (DATABASE_DIRECT_URL): Agenda keeps its jobs in
   * `agenda_jobs` there (created by a migration), and its LISTEN connection must stay on one
   * server session, which a transaction-mode pooler does not give.
   */
  databaseUrl: string;
  config: JobsConfig;
  logger: Logger;
  metrics: Metrics;
  /** Written to `agenda_jobs.last_modified_by`. Default `<hostname>:<pid>`. */
  name?: string;
}

/**
 * Agenda 6 on the service's PostgreSQL. Every process that schedules jobs has one (the API
 * schedules push deliveries); the processes that run jobs (`npm start` unless
 * JOBS_IN_PROCESS=false, and `npm run worker`) also `start()` it. Agenda's row locks make each
 * due job run once across all of them; recurring jobs are single rows keyed by name.
 */
export class AgendaScheduler implements JobQueue {
  private processing = false;
  private publishing = false;
  private stopped: Promise<void> | undefined;
  /** Queues webhook deliveries where jobs run (webhooks/webhook-dispatcher.ts). */
  private webhookDispatcher: WebhookDispatcher | undefined;
  /** Job handlers running in this process. */
  private readonly running = new Set<Promise<void>>();

  private constructor(
    readonly agenda: Agenda,
    private readonly backend: PostgresBackend,
    private readonly pool: Pool,
    private readonly options: AgendaSchedulerOptions,
  ) {}

  /** Connects to PostgreSQL; rejects when it cannot. Jobs can be scheduled at once, run after `start()`. */
  static async create(options: AgendaSchedulerOptions): Promise<AgendaScheduler> {
    const { logger } = options;
    // Our own pool: the backend's has no 'error' listener, so a PostgreSQL restart (or an
    // embedded server stopped by the process that owns it) would crash the process.
    const pool = new Pool({ connectionString: options.databaseUrl, max: 5, application_name: 'messaging-jobs' });
    pool.on('error', (error) => logger.warn({ err: error }, 'idle job scheduler connection failed'));
    // The table comes from the migrations: the backend's own DDL races when instances start together.
    const backend = new PostgresBackend({ pool, ensureSchema: false });
    // Same for the LISTEN connection: it reconnects by itself, its errors need a listener.
    (backend.notificationChannel as unknown as EventEmitter | undefined)?.on('error', (error: Error) =>
      logger.warn({ err: error }, 'job notification channel failed; reconnecting'),
    );
    try {
      // Connected here first, so that a failure rejects this call: Agenda's own connect (in its
      // constructor) would be an unhandled rejection. Connecting again there is harmless.
      await backend.connect();
    } catch (error) {
      await pool.end();
      throw error;
    }
    const agenda = new Agenda({
      backend,
      name: options.name ?? `${hostname()}:${process.pid}`,
      processEvery: options.config.processEveryMs,
      defaultLockLifetime: options.config.lockLifetimeMs,
    });
    const scheduler = new AgendaScheduler(agenda, backend, pool, options);
    agenda.on('error', (error: Error) => logger.error({ err: error }, 'job scheduler error'));
    await agenda.ready;
    return scheduler;
  }

  async schedule(name: string, at: Date, data: object): Promise<void> {
    await this.agenda.schedule(at, name, data);
  }

  /**
   * Lets the jobs this process schedules wake the workers at once (PostgreSQL NOTIFY) when it
   * does not run jobs itself; otherwise workers find them on their next poll.
   */
  async publishOnly(): Promise<void> {
    if (this.processing || this.publishing || !this.backend.notificationChannel) return;
    await this.backend.notificationChannel.connect();
    this.publishing = true;
  }

  /** Defines every job, starts processing, and makes sure each recurring job is scheduled. */
  async start(deps: JobDeps): Promise<void> {
    if (this.processing) return;
    if (this.publishing) {
      await this.backend.notificationChannel?.disconnect();
      this.publishing = false;
    }
    const { config } = this.options;
    for (const { job } of RECURRING_JOBS) {
      this.define(job.name, (agendaJob) => job.run(deps, { heartbeat: () => agendaJob.touch() }), { concurrency: 1 });
    }
    for (const job of DATA_JOBS) {
      this.define(job.name, (agendaJob) => job.handle(deps, agendaJob.attrs.data), {
        concurrency: 10,
        removeOnComplete: true,
        // A failed run (e.g. the database restarting) is retried: 5 s, 10 s, 20 s, 40 s, 80 s.
        backoff: exponential({ delay: 5000, maxRetries: 5 }),
      });
    }
    await this.agenda.start();
    this.processing = true;
    for (const { job, schedule } of RECURRING_JOBS) {
      const { cron, timezone } = schedule(config);
      await this.agenda.every(cron, job.name, undefined, { timezone, skipImmediate: true });
    }
    this.webhookDispatcher = new WebhookDispatcher(deps.services.deps.sql, this, this.options.logger, deps.config.webhooks.dispatchMs);
    this.webhookDispatcher.start();
    this.options.logger.info({ jobs: Object.keys(this.agenda.definitions) }, 'job processing started');
  }

  /**
   * Stops processing, letting running jobs finish (up to JOBS_DRAIN_TIMEOUT_MS; a job still
   * running then is taken over by another worker when its lock expires), and disconnects.
   */
  stop(): Promise<void> {
    this.stopped ??= this.stopOnce();
    return this.stopped;
  }

  private async stopOnce(): Promise<void> {
    await this.webhookDispatcher?.close();
    if (this.processing) {
      // Agenda's drain() waits for a 'complete' event per running job, but a job that emitted it
      // and is still being removed (removeOnComplete) is counted as running and never completes
      // again: the drain would wait for its whole timeout. So it is also ended once the handlers
      // this process runs have returned, after a moment for Agenda to record their state.
      const handlersDone = new AbortController();
      let grace: NodeJS.Timeout | undefined;
      void this.handlersIdle().then(() => {
        grace = setTimeout(() => handlersDone.abort(), 300);
        grace.unref();
      });
      const result = await this.agenda.drain({
        timeout: this.options.config.drainTimeoutMs,
        signal: handlersDone.signal,
        closeConnection: true,
      });
      clearTimeout(grace);
      if (result.timedOut) this.options.logger.warn({ running: result.running }, 'jobs still running at shutdown; their locks will expire');
      this.processing = false;
    } else if (this.publishing) {
      await this.backend.notificationChannel?.disconnect();
    }
    await this.pool.end();
  }

  /** Resolves when no job handler of this process is running. */
  private async handlersIdle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private define(name: string, run: (job: Job<unknown>) => Promise<void>, options: Parameters<Agenda['define']>[2]): void {
    const { logger, metrics } = this.options;
    this.agenda.define(
      name,
      async (job: Job<unknown>) => {
        const stopTimer = metrics.jobDuration.startTimer({ job: name });
        const running = run(job);
        this.running.add(running);
        try {
          await running;
          metrics.jobRuns.inc({ job: name, outcome: 'success' });
        } catch (error) {
          metrics.jobRuns.inc({ job: name, outcome: 'failure' });
          logger.error({ err: error, job: name, jobId: String(job.attrs._id) }, 'job failed');
          throw error;
        } finally {
          this.running.delete(running);
          stopTimer();
        }
      },
      options,
    );
  }
}
