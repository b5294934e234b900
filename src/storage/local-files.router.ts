import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import { isLocalKey, type LocalObjectStorage } from './local-storage';

/**
 * Serves the objects of a `LocalObjectStorage` at `GET /files/*key` (HEAD too), checking the
 * signature and expiry that `signedUrl` put in the query. Mount at the root of the app whose
 * origin is the storage's `publicBaseUrl`:
 *
 *   app.use(localFilesRouter(storage));
 *
 * Answers 403 for a missing, wrong or expired signature (before touching the disk, so
 * unsigned requests cannot probe which objects exist) and 404 for malformed keys (`..`,
 * empty or dot segments) and objects that are gone.
 */
export function localFilesRouter(storage: LocalObjectStorage): Router {
  const router = Router();
  router.get('/files/*key', (req, res) => serveFile(storage, req, res));
  return router;
}

async function serveFile(storage: LocalObjectStorage, req: Request, res: Response): Promise<void> {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  const key = keyOf(req);
  if (key === null) return refuse(res, 404, 'Not found');

  const { expires, sig } = req.query;
  const check = storage.verify(key, expires, sig);
  if (check !== 'ok') return refuse(res, 403, check === 'expired' ? 'Link expired' : 'Invalid signature');

  const object = await storage.open(key);
  if (!object) return refuse(res, 404, 'Not found');

  const stream = createReadStream(object.filePath);
  // The file may be deleted between open() and here: answer 404 rather than a broken 200.
  const opened = await new Promise<boolean>((resolve) => {
    stream.once('open', () => resolve(true));
    stream.once('error', () => resolve(false));
  });
  if (!opened) return refuse(res, 404, 'Not found');

  res.status(200);
  res.setHeader('Content-Type', object.contentType);
  res.setHeader('Content-Length', String(object.size));
  res.setHeader('Cache-Control', `private, max-age=${storage.secondsLeft(Number(expires))}`);
  // Images are never documents: if one is opened directly, nothing in it may run or load.
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  await pipeline(stream, res).catch(() => res.destroy());
}

/** The object key of the wildcard, or null when the path could not name an object. */
function keyOf(req: Request): string | null {
  const raw: unknown = (req.params as Record<string, unknown>).key;
  const segments = Array.isArray(raw) ? raw : [raw];
  if (!segments.every((s): s is string => typeof s === 'string')) return null;
  const key = segments.join('/');
  return isLocalKey(key) ? key : null;
}

function refuse(res: Response, status: number, message: string): void {
  res.status(status).type('text/plain').setHeader('Cache-Control', 'no-store');
  res.send(message);
}
