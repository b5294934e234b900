import type { NextFunction, Request, Response } from 'express';

/**
 * Counts the HTTP requests being served, so that shutdown can wait for them: a request already
 * buffered on a keep-alive socket may start after the server stopped accepting connections,
 * and must finish before the pools it uses are closed. Once stopping, new requests get 503.
 */
export class InFlightRequests {
  private count = 0;
  private stopping = false;
  private readonly idle: (() => void)[] = [];

  middleware = (_req: Request, res: Response, next: NextFunction): void => {
    if (this.stopping) {
      res.status(503).set('connection', 'close').json({ errors: [{ message: 'Shutting down', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      return;
    }
    this.count += 1;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.count -= 1;
      if (this.count === 0) this.idle.splice(0).forEach((resolve) => resolve());
    };
    res.once('finish', finish);
    res.once('close', finish);
    next();
  };

  /** Refuses new requests and resolves once the running ones are done, or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
