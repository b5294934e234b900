import fs from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';

/** Where the reference web client is served (CONTRACT.md, "The reference web client"). */
export const WEB_APP_PATH = '/app/';

/**
 * Scripts, the API and the service worker from this origin only. Images from anywhere: signed
 * image URLs point at PUBLIC_URL or the object store's host, which need not be this origin;
 * `blob:` shows an image in the thread while it uploads.
 */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src * data: blob:; connect-src 'self' ws: wss:; worker-src 'self'; manifest-src 'self'";

/**
 * GET /app/ and its assets from the Vite build in `dir` (`npm run build:web`). Hashed assets
 * are cached for a year; index.html, the service worker and the manifest are revalidated so a
 * deploy reaches clients at once. Any other path under /app/ answers index.html (the client
 * routes itself). Undefined when there is no build, so the service still starts without one.
 */
export function webAppRouter(dir: string): Router | undefined {
  const indexFile = path.join(dir, 'index.html');
  if (!fs.existsSync(indexFile)) return undefined;
  const router = express.Router();
  const sendIndex = (_req: express.Request, res: express.Response) => {
    res.set({ 'Content-Security-Policy': CSP, 'Cache-Control': 'no-cache' }).sendFile(indexFile);
  };
  router.get(WEB_APP_PATH, (req, res, next) => {
    // Express matches /app and /app/ alike: only the bare one is redirected.
    if (req.path === '/app') res.redirect(301, WEB_APP_PATH);
    else if (req.path === WEB_APP_PATH) sendIndex(req, res);
    else next();
  });
  router.use(
    WEB_APP_PATH,
    express.static(dir, {
      index: false,
      redirect: false,
      setHeaders: (res, file) => {
        const immutable = file.includes(`${path.sep}assets${path.sep}`);
        res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
        if (file.endsWith('.webmanifest')) res.setHeader('Content-Type', 'application/manifest+json');
      },
    }),
  );
  // Client-side routes (/app/settings, /app/c/ID); missing files under assets/ stay 404.
  router.get(/^\/app\/(?!assets\/).*/, sendIndex);
  return router;
}
