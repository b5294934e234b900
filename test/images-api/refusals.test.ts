import { MessageStore } from '../../src/services/message-store';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { blackPng, bmp, encoded, noisy, SVG } from '../fixtures/images/generate';
import { type TestServer, actor, codes, conversationPair, startTestServer } from '../helpers/test-server';
import { localObjects, multipartFraming, randomChunks, sendImage, storedRows } from './upload-client';

const RATE_LIMIT = 3;
let server: TestServer;
let dataDir: string;
const objectsDir = () => path.join(dataDir, 'objects');

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'images-refusals-'));
  server = await startTestServer({ DATA_DIR: dataDir, RATE_LIMIT_MESSAGES_PER_HOUR: String(RATE_LIMIT) });
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
});
afterEach(() => jest.restoreAllMocks());

/** Runs `attempt` in a fresh conversation and checks that it left no message, image row or object. */
async function refusedCleanly(attempt: (ctx: Awaited<ReturnType<typeof conversationPair>>) => Promise<{ errors?: { extensions?: Record<string, unknown> }[] }>) {
  const ctx = await conversationPair(server);
  const before = await localObjects(objectsDir());
  const result = await attempt(ctx);
  expect(await storedRows(server, ctx.conversationId)).toEqual({ messages: 0, images: 0 });
  expect(await localObjects(objectsDir())).toEqual(before);
  return codes(result);
}

describe('refused uploads leave no message and no object', () => {
  test.each([
    ['a GIF named .png', () => encoded('gif'), 'x.png', 'image/png'],
    ['a TIFF', () => encoded('tiff'), 'x.jpg', 'image/jpeg'],
    ['a BMP', async () => bmp(), 'x.bmp', 'image/bmp'],
    ['an SVG', async () => SVG, 'x.png', 'image/png'],
    ['text', async () => Buffer.from('hello, not an image'), 'x.jpg', 'image/jpeg'],
  ])('%s: UNSUPPORTED_MEDIA_TYPE', async (_name, make, filename, contentType) => {
    const file = await make();
    expect(await refusedCleanly(({ ana, conversationId }) => sendImage(server, { conversationId }, file, { token: ana.token, filename, contentType }))).toEqual([
      'UNSUPPORTED_MEDIA_TYPE',
    ]);
  });

  test('a truncated JPEG or PNG: UNSUPPORTED_MEDIA_TYPE', async () => {
    for (const format of ['jpeg', 'png'] as const) {
      const whole = await noisy(format, 256, 256);
      const truncated = whole.subarray(0, Math.floor(whole.length / 2));
      expect(await refusedCleanly(({ ana, conversationId }) => sendImage(server, { conversationId }, truncated, { token: ana.token }))).toEqual([
        'UNSUPPORTED_MEDIA_TYPE',
      ]);
    }
  });

  test('over 40 megapixels (a few KB of PNG): PAYLOAD_TOO_LARGE', async () => {
    const bomb = blackPng(8000, 6000);
    expect(bomb.length).toBeLessThan(100_000);
    expect(await refusedCleanly(({ ana, conversationId }) => sendImage(server, { conversationId }, bomb, { token: ana.token, filename: 'x.png' }))).toEqual([
      'PAYLOAD_TOO_LARGE',
    ]);
  });

  test('a file streamed past 5 MB without Content-Length: PAYLOAD_TOO_LARGE', async () => {
    const jpeg = await encoded('jpeg');
    let sent = 0;
    async function* chunks() {
      yield jpeg;
      for await (const chunk of randomChunks(6 * 16)) {
        sent += chunk.length;
        yield chunk;
      }
    }
    expect(await refusedCleanly(({ ana, conversationId }) => sendImage(server, { conversationId }, jpeg, { token: ana.token, chunks: chunks() }))).toEqual([
      'PAYLOAD_TOO_LARGE',
    ]);
    expect(sent).toBeGreaterThan(5 * 1024 * 1024);
  });

  test('a declared Content-Length far over the cap is refused with 413 before the body is read', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const framing = multipartFraming({ conversationId }, 'x.jpg', 'image/jpeg');
    const response = await openAndAwaitAnswer({
      'content-type': framing.contentType,
      'content-length': String(50 * 1024 * 1024),
      authorization: `Bearer ${ana.token}`,
      'apollo-require-preflight': 'true',
    }, framing.head.subarray(0, 60));
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  test('an outsider: NOT_FOUND; without a token: UNAUTHENTICATED', async () => {
    const jpeg = await encoded('jpeg');
    const eve = await actor(server, 'Eve');
    expect(await refusedCleanly(({ conversationId }) => sendImage(server, { conversationId }, jpeg, { token: eve.token }))).toEqual(['NOT_FOUND']);
    expect(await refusedCleanly(({ conversationId }) => sendImage(server, { conversationId }, jpeg, { token: null }))).toEqual(['UNAUTHENTICATED']);
  });

  test('membership is checked before the bytes: an outsider sending a GIF gets NOT_FOUND', async () => {
    const eve = await actor(server, 'Eve');
    const gif = await encoded('gif');
    expect(await refusedCleanly(({ conversationId }) => sendImage(server, { conversationId }, gif, { token: eve.token }))).toEqual(['NOT_FOUND']);
  });
});

describe('CSRF prevention', () => {
  test('a multipart request without a preflight header is refused before its body is read', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const framing = multipartFraming({ conversationId }, 'x.jpg', 'image/jpeg');
    // Only the first bytes are ever sent, not even the whole operations field: the answer must
    // come without the rest (a parser would still be waiting for the operation).
    const response = await openAndAwaitAnswer({ 'content-type': framing.contentType, authorization: `Bearer ${ana.token}` }, framing.head.subarray(0, 60));
    expect(response.status).toBe(400);
    const error = JSON.parse(response.body).errors[0];
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/CSRF/);
    expect(await storedRows(server, conversationId)).toEqual({ messages: 0, images: 0 });
  });

  test('x-apollo-operation-name is accepted as the preflight header too', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const framing = multipartFraming({ conversationId }, 'x.jpg', 'image/jpeg');
    const body = Buffer.concat([framing.head, await encoded('jpeg'), framing.tail]);
    const response = await new Promise<number>((resolve, reject) => {
      const request = http.request(server.url, {
        method: 'POST',
        headers: { 'content-type': framing.contentType, authorization: `Bearer ${ana.token}`, 'x-apollo-operation-name': 'SendImageMessage' },
      });
      request.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      request.on('error', reject);
      request.end(body);
    });
    expect(response).toBe(200);
    expect(await storedRows(server, conversationId)).toEqual({ messages: 1, images: 1 });
  });
});

describe('consistency when storage or the database fails', () => {
  test('storage fails on the second object: no message, the first object deleted, the rate-limit point given back', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const storage = server.service.app.services.deps.storage;
    const put = storage.put.bind(storage);
    let calls = 0;
    jest.spyOn(storage, 'put').mockImplementation(async (key, body, type) => {
      calls += 1;
      if (calls === 2) throw new Error('storage unavailable');
      return put(key, body, type);
    });
    const before = await localObjects(objectsDir());
    const jpeg = await encoded('jpeg');
    for (let i = 0; i < RATE_LIMIT; i += 1) {
      calls = 0;
      const failed = await sendImage(server, { conversationId }, jpeg, { token: ana.token });
      expect(codes(failed)).toEqual(['INTERNAL_SERVER_ERROR']);
    }
    expect(await storedRows(server, conversationId)).toEqual({ messages: 0, images: 0 });
    expect(await localObjects(objectsDir())).toEqual(before);

    jest.restoreAllMocks();
    for (let i = 0; i < RATE_LIMIT; i += 1) {
      expect((await sendImage(server, { conversationId }, jpeg, { token: ana.token })).errors).toBeUndefined();
    }
    expect(codes(await sendImage(server, { conversationId }, jpeg, { token: ana.token }))).toEqual(['RATE_LIMITED']);
  });

  test('the statement that writes the message fails: the uploaded objects are deleted and nothing is stored', async () => {
    const { ana, conversationId } = await conversationPair(server);
    jest.spyOn(MessageStore.prototype, 'append').mockRejectedValueOnce(new Error('commit failed'));
    const before = await localObjects(objectsDir());
    const failed = await sendImage(server, { conversationId }, await encoded('png'), { token: ana.token, filename: 'x.png' });
    expect(codes(failed)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(await storedRows(server, conversationId)).toEqual({ messages: 0, images: 0 });
    expect(await localObjects(objectsDir())).toEqual(before);

    const retried = await sendImage(server, { conversationId }, await encoded('png'), { token: ana.token, filename: 'x.png' });
    expect(retried.data!.sendImageMessage.sequence).toBe(1);
  });
});

/** Opens a POST, sends only `start` of its body, and resolves with the answer; then hangs up. */
function openAndAwaitAnswer(headers: Record<string, string>, start: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(server.url, { method: 'POST', headers, agent: false });
    const timer = setTimeout(() => reject(new Error('no answer without the rest of the body')), 5000);
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        clearTimeout(timer);
        request.destroy();
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.write(start);
  });
}
