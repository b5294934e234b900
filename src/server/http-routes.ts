import type { NextFunction, Request, Response, Router } from 'express';
import express from 'express';
import type { Orm } from '../db/orm';
import { ErrorCode } from '../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { PubSub } from '../realtime/pubsub';

/**
 * /healthz (process up), /readyz (database and pub/sub reachable), /metrics (Prometheus).
 * /readyz also reports `storage` when given a probe, without letting it decide readiness: an
 * object store outage stops image uploads only, and taking every instance out of rotation for
 * it would stop text messaging as well.
 */
export function operationalRoutes(orm: Orm, pubsub: PubSub, metrics: Metrics, storageHealthy?: () => Promise<boolean>): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [database, pubSub, storage] = await Promise.all([
      orm.em.getConnection().execute('select 1').then(() => true, () => false),
      pubsub.isHealthy().catch(() => false),
      storageHealthy?.().catch(() => false),
    ]);
    const ready = database && pubSub;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', database, pubSub, storage });
  });
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return router;
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
