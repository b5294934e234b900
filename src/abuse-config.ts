import type { Env } from './env-schema';
import type { LimitRule, OperationClass } from './services/operation-limits';

/** Settings of the limits against abuse (docs/reliability.md, "Attacks"). */
export interface AbuseConfig {
  /**
   * TRUST_PROXY: which proxies' `X-Forwarded-For` names the client (Express's `trust proxy`):
   * unset/false (the default) trusts none, so a client cannot forge its address; `true`, a hop
   * count (`1`) or a list of addresses/subnets (`loopback, 10.0.0.0/8`) behind a load balancer.
   */
  trustProxy: boolean | number | string;
  /** RATE_LIMITS: per-user limits per operation class, e.g. `read=600/60,strangerStart=10/3600`. */
  operationLimits: Record<OperationClass, LimitRule>;
  /** HTTP_MAX_CONCURRENT_PER_USER: GraphQL requests of one user running at once on an instance. */
  maxConcurrentRequestsPerUser: number;
  /** WS_MAX_MESSAGES_PER_SECOND: graphql-ws messages (and pings) one socket may send; more closes it with 4429. */
  wsMessagesPerSecond: number;
  /** PUSH_MAX_DEVICES_PER_USER: registering one more replaces the least recently seen device. */
  maxDevicesPerUser: number;
  /** HTTP_HEADERS_TIMEOUT_MS / HTTP_REQUEST_TIMEOUT_MS: slow clients are cut off after these. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** HTTP_MAX_CONNECTIONS_PER_IP: open connections one client address may hold (HTTP and WebSocket). */
  maxConnectionsPerIp: number;
  /** METRICS_PORT: serve /metrics on this port (on the same host) instead of the API port; 0 keeps it on the API port. */
  metricsPort: number;
  /** METRICS_TOKEN: when set, /metrics asks for `Authorization: Bearer <token>`. */
  metricsToken?: string;
}

export function loadAbuseConfig(env: Env): AbuseConfig {
  return {
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    operationLimits: env.RATE_LIMITS,
    wsMessagesPerSecond: env.WS_MAX_MESSAGES_PER_SECOND,
    maxConcurrentRequestsPerUser: env.HTTP_MAX_CONCURRENT_PER_USER,
    maxDevicesPerUser: env.PUSH_MAX_DEVICES_PER_USER,
    headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
    maxConnectionsPerIp: env.HTTP_MAX_CONNECTIONS_PER_IP,
    metricsPort: env.METRICS_PORT,
    metricsToken: env.METRICS_TOKEN,
  };
}

function parseTrustProxy(raw: string | undefined): boolean | number | string {
  if (raw === undefined || ['false', '0', 'no'].includes(raw.toLowerCase())) return false;
  if (['true', 'yes'].includes(raw.toLowerCase())) return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw;
}
