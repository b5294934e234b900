import client from 'prom-client';

/**
 * Prometheus metrics of one process. A registry per process (not the global one) so that tests
 * can run two servers in one Jest worker without "metric already registered" errors.
 */
export interface MetricsSources {
  /** Counted when /metrics is scraped. */
  countActiveConversations?: () => Promise<number>;
}

export function createMetrics(sources: MetricsSources = {}) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });

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
    messagesSent: new client.Counter({
      name: 'messages_sent_total',
      help: 'Messages stored, by type',
      labelNames: ['type'] as const,
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
    activeConversations: new client.Gauge({
      name: 'active_conversations',
      help: 'Conversations with status ACTIVE (refreshed when scraped)',
      registers: [registry],
      async collect() {
        if (sources.countActiveConversations) this.set(await sources.countActiveConversations());
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
