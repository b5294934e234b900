import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { AbuseConfig } from '../abuse-config';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { metricsHandler, type MetricsAccess } from './http-routes';

/**
 * Where /metrics is served: on METRICS_PORT when set (a port the load balancer does not
 * expose), else on the API port, behind METRICS_TOKEN when set. In production one of the two
 * is required; without either /metrics is not served (and a warning says why), because the
 * numbers tell an outsider how busy the service is and how it is built.
 */
export function metricsAccess(config: Pick<AbuseConfig, 'metricsPort' | 'metricsToken'>, isProduction: boolean, logger: Logger): MetricsAccess {
  if (config.metricsPort > 0) return { servedHere: false };
  if (isProduction && !config.metricsToken) {
    logger.warn('/metrics is not served: set METRICS_PORT or METRICS_TOKEN to scrape it');
    return { servedHere: false };
  }
  return { servedHere: true, token: config.metricsToken };
}

/** The separate /metrics listener of METRICS_PORT; `listen` answers its port. */
export function createMetricsServer(metrics: Metrics, token: string | undefined) {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(metrics, token));
  const server = http.createServer(app);
  return {
    listen: (port: number, host: string) =>
      new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
