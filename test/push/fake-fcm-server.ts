import { readFileSync } from 'node:fs';
import https from 'node:https';
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import type { Credential } from 'firebase-admin/app';

/**
 * A fake FCM v1 endpoint (`POST /v1/projects/<p>/messages:send`) on loopback, speaking HTTP/2 and
 * HTTP/1.1 over TLS with a self-signed certificate for fcm.googleapis.com (test/push/fixtures).
 * firebase-admin's own code builds, signs and sends the requests and parses the answers; the
 * fake only records what arrives and answers as scripted.
 */

export const FCM_HOST = 'fcm.googleapis.com';
export const FAKE_ACCESS_TOKEN = 'fake-access-token';

const fixtures = path.join(__dirname, 'fixtures');
const certificate = readFileSync(path.join(fixtures, 'fake-fcm.cert.pem'));
const privateKey = readFileSync(path.join(fixtures, 'fake-fcm.key.pem'));

/** A credential that never signs in to Google: firebase-admin only asks it for a token. */
export const fakeCredential: Credential = {
  getAccessToken: async () => ({ access_token: FAKE_ACCESS_TOKEN, expires_in: 3600 }),
};

/** One request the fake received, body parsed. */
export interface FakeFcmRequest {
  path: string;
  httpVersion: string;
  authorization?: string;
  token: string;
  // The FCM v1 JSON as firebase-admin sent it (snake_case, `thread-id`, ...).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  message: any;
}

/** A scripted answer; `reset` aborts the HTTP/2 stream (or the HTTP/1.1 socket) instead. */
export type FakeFcmReply = { status: number; body: unknown; headers?: Record<string, string> } | 'reset';

function fcmError(code: number, status: string, message: string, errorCode: string): FakeFcmReply {
  return {
    status: code,
    body: {
      error: {
        code,
        status,
        message,
        details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }],
      },
    },
  };
}

/** Error answers in the shape real FCM sends. */
export const replies = {
  unregistered: () => fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED'),
  invalidToken: () =>
    fcmError(400, 'INVALID_ARGUMENT', 'The registration token is not a valid FCM registration token', 'INVALID_ARGUMENT'),
  invalidPayload: () =>
    fcmError(400, 'INVALID_ARGUMENT', 'Invalid value at \'message.android.ttl\'', 'INVALID_ARGUMENT'),
  internal: () => fcmError(500, 'INTERNAL', 'Internal error encountered.', 'INTERNAL'),
  quotaExceeded: () => fcmError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', 'QUOTA_EXCEEDED'),
  /** 503; a Retry-After over a minute makes firebase-admin hand it back instead of retrying itself. */
  unavailable: (retryAfterSeconds?: number): FakeFcmReply => ({
    ...(fcmError(503, 'UNAVAILABLE', 'The service is currently unavailable.', 'UNAVAILABLE') as { status: number; body: unknown }),
    headers: retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
  }),
};

export interface FakeFcm {
  port: number;
  projectId: string;
  /** Every request received, in arrival order. */
  requests: FakeFcmRequest[];
  /** The requests received for one token. */
  requestsFor(token: string): FakeFcmRequest[];
  /** Queues answers for a token, used one per request; afterwards the token succeeds. */
  script(token: string, ...answers: FakeFcmReply[]): void;
  /** An agent whose connections to fcm.googleapis.com:443 reach the fake (HTTP/1.1 path). */
  agent(): https.Agent;
  /**
   * Makes firebase-admin's HTTP/2 sessions to fcm.googleapis.com reach the fake, through
   * `http2.connect`'s `createConnection` option. Restored by `jest.restoreAllMocks()`.
   */
  interceptHttp2(): void;
  close(): Promise<void>;
}

/** Starts a fake FCM on 127.0.0.1 and a free port. */
export async function startFakeFcm(projectId = 'demo-project'): Promise<FakeFcm> {
  const requests: FakeFcmRequest[] = [];
  const scripts = new Map<string, FakeFcmReply[]>();
  const sockets = new Set<Socket>();
  const agents: https.Agent[] = [];
  let sent = 0;

  const server = http2.createSecureServer({ key: privateKey, cert: certificate, allowHTTP1: true });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      const token: string = body.message?.token ?? '';
      requests.push({
        path: req.url,
        httpVersion: req.httpVersion,
        authorization: req.headers.authorization,
        token,
        message: body.message,
      });
      if (req.method !== 'POST' || req.url !== `/v1/projects/${projectId}/messages:send`) {
        return answer(res, { status: 404, body: { error: { code: 404, status: 'NOT_FOUND', message: 'no such path' } } });
      }
      if (req.headers.authorization !== `Bearer ${FAKE_ACCESS_TOKEN}`) {
        return answer(res, { status: 401, body: { error: { code: 401, status: 'UNAUTHENTICATED', message: 'bad token' } } });
      }
      const reply = scripts.get(token)?.shift();
      if (reply === 'reset') {
        if (req.httpVersion === '2.0') res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        else req.socket.destroy();
        return;
      }
      sent += 1;
      answer(res, reply ?? { status: 200, body: { name: `projects/${projectId}/messages/${sent}` } });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const connectToFake = (alpn: string) =>
    tls.connect({ host: '127.0.0.1', port, servername: FCM_HOST, ca: certificate, ALPNProtocols: [alpn] });

  return {
    port,
    projectId,
    requests,
    requestsFor: (token) => requests.filter((request) => request.token === token),
    script(token, ...answers) {
      scripts.set(token, [...(scripts.get(token) ?? []), ...answers]);
    },
    agent() {
      const agent = new (class extends https.Agent {
        createConnection() {
          return connectToFake('http/1.1');
        }
      })();
      agents.push(agent);
      return agent;
    },
    interceptHttp2() {
      const connect = http2.connect;
      jest.spyOn(http2, 'connect').mockImplementation(((authority: string | URL, options?: http2.SecureClientSessionOptions) => {
        if (new URL(String(authority)).hostname !== FCM_HOST) return connect(authority, options);
        const session = connect(authority, { ...options, createConnection: () => connectToFake('h2') });
        // firebase-admin 13 sends `:scheme: https:` (the URL's protocol, colon included; see the
        // TODO(b/401051826) in its api-request.js). Google's front end accepts that; Node's
        // nghttp2 server answers PROTOCOL_ERROR, so the fake's client side repairs this one header.
        const request = session.request.bind(session);
        session.request = ((headers: http2.OutgoingHttpHeaders = {}, requestOptions?: http2.ClientSessionRequestOptions) =>
          request({ ...headers, ':scheme': 'https' }, requestOptions)) as typeof session.request;
        return session;
      }) as typeof http2.connect);
    },
    async close() {
      agents.forEach((agent) => agent.destroy());
      sockets.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function answer(res: http2.Http2ServerResponse, reply: Exclude<FakeFcmReply, 'reset'>): void {
  res.writeHead(reply.status, { 'content-type': 'application/json; charset=UTF-8', ...reply.headers });
  res.end(JSON.stringify(reply.body));
}
