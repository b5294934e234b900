import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** How the receiver answers the next request: 200, 500, no answer (timeout) or a reset socket. */
export type Answer = 'ok' | '500' | 'timeout' | 'reset';

/** One request the receiver got, with what `standardwebhooks` said of its signature. */
export interface Received {
  id: string;
  timestamp: string;
  body: string;
  verified: boolean;
  answer: Answer;
  event: { type: string; timestamp: string; data: Record<string, unknown> };
}

/**
 * A webhook receiver on loopback, as a marketplace backend would write one: it verifies every
 * request with the `standardwebhooks` library and answers as told (`answers` is consumed in
 * order; `ok` once it is empty).
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  readonly answers: Answer[] = [];
  secret = '';
  private readonly server = http.createServer((request, response) => this.handle(request, response));
  private readonly hanging = new Set<http.ServerResponse>();
  private waiters: (() => void)[] = [];

  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  /** Resolves once `count` requests have arrived (within `timeoutMs`). */
  async waitFor(count: number, timeoutMs = 15_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} webhook requests, got ${this.received.length}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.received;
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(request.headers).map(([key, value]) => [key, String(value)]));
      let verified = true;
      try {
        new Webhook(this.secret).verify(body, headers);
      } catch {
        verified = false;
      }
      const answer = this.answers.shift() ?? 'ok';
      this.received.push({ id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], body, verified, answer, event: JSON.parse(body) });
      for (const wake of this.waiters.splice(0)) wake();
      if (answer === 'ok') response.writeHead(verified ? 204 : 401).end();
      else if (answer === '500') response.writeHead(500).end('boom');
      else if (answer === 'reset') request.socket.destroy();
      else this.hanging.add(response);
    });
  }
}
