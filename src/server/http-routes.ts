import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response, Router } from 'express';
import express from 'express';
import type { Orm } from '../db/orm';
import { ErrorCode } from '../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { PubSub } from '../realtime/pubsub';

/**
 * /healthz (process up), /readyz (database and pub/sub reachable), /metrics (Prometheus, unless
 * it has a port of its own).
 * /readyz also reports `storage` when given a probe, without letting it decide readiness: an
 * object store outage stops image uploads only, and taking every instance out of rotation for
 * it would stop text messaging as well.
 */
export function operationalRoutes(orm: Orm, pubsub: PubSub, metrics: Metrics, metricsAccess: MetricsAccess, storageHealthy?: () => Promise<boolean>): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [database, pubSub, storage] = await Promise.all([
      probe(() => orm.em.getConnection().execute('select 1').then(() => true)),
      probe(() => pubsub.isHealthy()),
      storageHealthy ? probe(storageHealthy) : undefined,
    ]);
    const ready = database && pubSub;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', database, pubSub, storage });
  });
  if (metricsAccess.servedHere) router.get('/metrics', metricsHandler(metrics, metricsAccess.token));
  return router;
}

/** Where /metrics is served (docs/reliability.md, Attacks 7): see metricsAccess() in app.ts. */
export interface MetricsAccess {
  /** False when /metrics has its own port (METRICS_PORT), or in production without a token. */
  servedHere: boolean;
  /** METRICS_TOKEN: asked as `Authorization: Bearer <token>`. */
  token?: string;
}

/** Prometheus text; with a token, 401 to a scrape that does not bring it. */
export function metricsHandler(metrics: Metrics, token?: string) {
  const expected = token ? Buffer.from(`Bearer ${token}`) : null;
  return async (req: Request, res: Response) => {
    if (expected) {
      const given = Buffer.from(req.header('authorization') ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        res.status(401).set('WWW-Authenticate', 'Bearer').json({ errors: [{ message: 'A metrics token is required', extensions: { code: ErrorCode.UNAUTHENTICATED } }] });
        return;
      }
    }
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  };
}

/** How long one readiness probe may take: /readyz answers within 2 s whatever a dependency does. */
export const READINESS_PROBE_TIMEOUT_MS = 1500;

/**
 * `check`'s answer, or false when it fails or takes longer than the probe timeout: a frozen
 * database (or Redis) answers nothing at all, and a probe that hangs is no answer to a load
 * balancer. The abandoned check still ends by its own statement or command timeout.
 */
export async function probe(check: () => Promise<boolean>, timeoutMs = READINESS_PROBE_TIMEOUT_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([check().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Body-parser failures answered in GraphQL's shape with the contract's codes. */
export function bodyErrorHandler(logger: Logger) {
  return (error: { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) => {
    if (error?.type === 'entity.too.large') {
      res.status(413).json({ errors: [{ message: 'Request body too large', extensions: { code: ErrorCode.PAYLOAD_TOO_LARGE } }] });
      return;
    }
    if (error?.type === 'entity.parse.failed' || error?.status === 400) {
      res.status(400).json({ errors: [{ message: 'Malformed JSON body', extensions: { code: ErrorCode.BAD_USER_INPUT } }] });
      return;
    }
    logger.error({ err: error }, 'unhandled HTTP error');
    next(error);
  };
}
