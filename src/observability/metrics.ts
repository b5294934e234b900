import client from 'prom-client';

/**
 * Prometheus metrics of one process. A registry per process (not the global one) so that tests
 * can run two servers in one Jest worker without "metric already registered" errors.
 */
export interface MetricsSources {
  /** Counted when /metrics is scraped. */
  countActiveConversations?: () => Promise<number>;
  /** Seconds since the oldest webhook event still pending (counted when scraped). */
  oldestPendingWebhookAgeSeconds?: () => Promise<number>;
  /** The database connection pools by name (read when scraped). */
  databasePools?: () => DatabasePool[];
}

/** One pool's state for the db_pool_* gauges. */
export interface DatabasePool {
  /** `hot_path` (src/db/sql.ts), `orm` (MikroORM's) or `replica` (DATABASE_READ_URL). */
  pool: string;
  inUse: number;
  idle: number;
  waiting: number;
  max: number;
}

export function createMetrics(sources: MetricsSources = {}) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  /** Sets one db_pool_* gauge per pool from a fresh read of the pools (one read per gauge and scrape). */
  const poolGauge = (gauge: client.Gauge<'pool'> | client.Gauge<'pool' | 'state'>, values: (pool: DatabasePool) => [Record<string, string>, number][]) => {
    if (!sources.databasePools) return;
    gauge.reset();
    for (const pool of sources.databasePools()) for (const [labels, value] of values(pool)) gauge.set({ pool: pool.pool, ...labels }, value);
  };

  return {
    registry,
    operationDuration: new client.Histogram({
      name: 'graphql_operation_duration_seconds',
      help: 'GraphQL operation duration by operation name and outcome',
      labelNames: ['operation', 'type', 'outcome'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    errors: new client.Counter({
      name: 'graphql_errors_total',
      help: 'GraphQL errors by extensions.code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    dbQueryDuration: new client.Histogram({
      name: 'db_query_duration_seconds',
      help: 'Database query duration',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: [registry],
    }),
    // Pool saturation (deploy/prometheus/alerts.yaml): in use near max, or callers waiting.
    dbPoolConnections: new client.Gauge({
      name: 'db_pool_connections',
      help: 'Connections of each database pool by state (in_use, idle), read when scraped',
      labelNames: ['pool', 'state'] as const,
      registers: [registry],
      collect() {
        poolGauge(this, (pool) => [
          [{ state: 'in_use' }, pool.inUse],
          [{ state: 'idle' }, pool.idle],
        ]);
      },
    }),
    dbPoolWaiting: new client.Gauge({
      name: 'db_pool_waiting_clients',
      help: 'Queries waiting for a connection of each database pool, read when scraped',
      labelNames: ['pool'] as const,
      registers: [registry],
      collect() {
        poolGauge(this, (pool) => [[{}, pool.waiting]]);
      },
    }),
    dbPoolMax: new client.Gauge({
      name: 'db_pool_max_connections',
      help: 'Size of each database pool',
      labelNames: ['pool'] as const,
      registers: [registry],
      collect() {
        poolGauge(this, (pool) => [[{}, pool.max]]);
      },
    }),
    dbReads: new client.Counter({
      name: 'db_reads_total',
      help: 'Reads a replica may serve (history, search, conversation list), by where they ran and why (DATABASE_READ_URL set only)',
      labelNames: ['path', 'target', 'reason'] as const,
      registers: [registry],
    }),
    dbReplicaLag: new client.Gauge({
      name: 'db_replica_lag_seconds',
      help: "The read replica's replay lag at the last probe; -1 when it is down or streams from nobody (DATABASE_READ_URL set only)",
      registers: [registry],
    }),
    messagesSent: new client.Counter({
      name: 'messages_sent_total',
      help: 'Messages stored, by type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    imageUploads: new client.Counter({
      name: 'image_uploads_total',
      help: 'sendImageMessage calls by outcome (stored, replayed or the error code) and format read from the bytes',
      labelNames: ['outcome', 'format'] as const,
      registers: [registry],
    }),
    imageProcessingDuration: new client.Histogram({
      name: 'image_processing_duration_seconds',
      help: 'Validating, cleaning and resizing one image, including the wait for a processing slot',
      labelNames: ['format'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16],
      registers: [registry],
    }),
    imageStoredBytes: new client.Counter({
      name: 'image_stored_bytes_total',
      help: 'Bytes of image objects written to storage, by rendition (original, preview, thumbnail)',
      labelNames: ['rendition'] as const,
      registers: [registry],
    }),
    imagesExpired: new client.Counter({
      name: 'images_expired_total',
      help: 'Images whose stored objects the expiry routine deleted',
      registers: [registry],
    }),
    reports: new client.Counter({
      name: 'reports_total',
      help: 'Reports stored (reportMessage, reportUser), by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    readReceipts: new client.Counter({
      name: 'read_receipts_total',
      help: 'markRead calls that newly marked at least one message',
      registers: [registry],
    }),
    openSockets: new client.Gauge({
      name: 'ws_open_sockets',
      help: 'Open graphql-ws sockets (authenticated or not yet)',
      registers: [registry],
    }),
    activeSubscriptions: new client.Gauge({
      name: 'ws_active_subscriptions',
      help: 'Running subscriptions by root field',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    deliveryLatency: new client.Histogram({
      name: 'message_delivery_latency_seconds',
      help: 'From the commit of a message to its write on a subscriber socket (live events only)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    slowConsumerDisconnects: new client.Counter({
      name: 'ws_slow_consumer_disconnects_total',
      help: 'Sockets closed with 4008 because they could not keep up',
      registers: [registry],
    }),
    pubsubReconnects: new client.Counter({
      name: 'pubsub_reconnects_total',
      help: 'Reconnects of the Redis pub/sub connections, by role',
      labelNames: ['role'] as const,
      registers: [registry],
    }),
    pushNotifications: new client.Counter({
      name: 'push_notifications_total',
      help: 'Push decisions by notification type and outcome (sent, batched, deferred, suppressed, online, no_device, read, failed)',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    pushDeliveries: new client.Counter({
      name: 'push_deliveries_total',
      help: 'Notifications handed to the push provider, per device, by final provider outcome',
      labelNames: ['transport', 'outcome'] as const,
      registers: [registry],
    }),
    pushProviderDuration: new client.Histogram({
      name: 'push_provider_duration_seconds',
      help: 'One call to the push provider (a batch of devices), retries counted separately',
      labelNames: ['transport'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    pushTokensDeleted: new client.Counter({
      name: 'push_tokens_deleted_total',
      help: 'Device tokens removed because the provider reported them unregistered or invalid',
      registers: [registry],
    }),
    jobRuns: new client.Counter({
      name: 'job_runs_total',
      help: 'Scheduled job runs by job name and outcome (success, failure)',
      labelNames: ['job', 'outcome'] as const,
      registers: [registry],
    }),
    jobDuration: new client.Histogram({
      name: 'job_duration_seconds',
      help: 'Duration of scheduled job runs by job name',
      labelNames: ['job'] as const,
      buckets: [0.01, 0.05, 0.25, 1, 5, 30, 120, 600],
      registers: [registry],
    }),
    conversationsAutoArchived: new client.Counter({
      name: 'conversations_auto_archived_total',
      help: 'Conversations the auto-archive job moved to AUTO_ARCHIVED',
      registers: [registry],
    }),
    activeConversations: new client.Gauge({
      name: 'active_conversations',
      help: 'Conversations with status ACTIVE (refreshed when scraped)',
      registers: [registry],
      async collect() {
        if (sources.countActiveConversations) this.set(await sources.countActiveConversations());
      },
    }),
    webhookAttempts: new client.Counter({
      name: 'webhook_attempts_total',
      help: 'Webhook POST attempts by outcome (success, http_error, timeout, network, refused)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    webhookDeliveries: new client.Counter({
      name: 'webhook_deliveries_total',
      help: 'Webhook events finished, by outcome (delivered, failed: given up after 24 hours)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    webhookOldestPendingAge: new client.Gauge({
      name: 'webhook_oldest_pending_age_seconds',
      help: 'Age of the oldest webhook event not yet delivered (refreshed when scraped)',
      registers: [registry],
      async collect() {
        if (sources.oldestPendingWebhookAgeSeconds) this.set(await sources.oldestPendingWebhookAgeSeconds());
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
