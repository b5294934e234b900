import net from 'node:net';
import { startTestServer, type TestServer } from '../helpers/test-server';

/**
 * Attack 4 (docs/reliability.md): slow headers were held 90 s and a body sent at 1 byte/s
 * 300 s (Node's defaults), and one address could open any number of connections.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ HTTP_HEADERS_TIMEOUT_MS: '400', HTTP_REQUEST_TIMEOUT_MS: '800', HTTP_MAX_CONNECTIONS_PER_IP: '5' });
});
afterAll(() => server.stop());

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.service.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** What the server wrote before closing, and after how long it closed. */
function untilClosed(socket: net.Socket): Promise<{ text: string; afterMs: number }> {
  const started = Date.now();
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString()));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve({ text, afterMs: Date.now() - started })));
}

test('slow headers are answered 408 and closed after HTTP_HEADERS_TIMEOUT_MS, not 60 s', async () => {
  const socket = await connect();
  const closed = untilClosed(socket);
  socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\n');
  const drip = setInterval(() => socket.writable && socket.write('X-Slow: a\r\n'), 100);
  try {
    const { text, afterMs } = await closed;
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeLessThan(5000);
  } finally {
    clearInterval(drip);
  }
});

test('a body sent byte by byte is cut off after HTTP_REQUEST_TIMEOUT_MS', async () => {
  const socket = await connect();
  const closed = untilClosed(socket);
  socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
  const drip = setInterval(() => socket.writable && socket.write(' '), 100);
  try {
    const { text, afterMs } = await closed;
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeLessThan(5000);
  } finally {
    clearInterval(drip);
  }
});

test('one address holds at most HTTP_MAX_CONNECTIONS_PER_IP connections; closing one frees a place', async () => {
  const held = await Promise.all(Array.from({ length: 5 }, connect));
  try {
    const extra = await connect();
    const { afterMs } = await untilClosed(extra);
    expect(afterMs).toBeLessThan(1000);
    held.pop()!.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const healthz = await fetch(server.url.replace(/\/graphql$/, '/healthz'));
    expect(healthz.status).toBe(200);
  } finally {
    for (const socket of held) socket.destroy();
  }
});
