import { randomBytes, randomUUID } from 'node:crypto';
import { LIMITS } from '../../src/config';
import { blackPng, encoded } from '../fixtures/images/generate';
import { conversationPair, startTestServer, type TestServer } from '../helpers/test-server';
import { multipartFraming, sendImage } from '../images-api/upload-client';

/**
 * Attack 5 (docs/reliability.md): failed decodes gave their rate-limit point back (unlimited
 * decode attempts), images over sharp's own pixel limit answered UNSUPPORTED_MEDIA_TYPE, and a
 * refused upload closed the connection unread, so fetch saw EPIPE/ECONNRESET, never the answer.
 */

const LIMIT = 3;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_MESSAGES_PER_HOUR: String(LIMIT) });
});
afterAll(() => server.stop());

const codeOf = (answer: { errors?: { extensions?: Record<string, unknown> }[] }) => answer.errors?.[0]?.extensions?.code;

test('failed decodes count against the send limit', async () => {
  const { ana, conversationId } = await conversationPair(server);
  const corrupt = Buffer.concat([(await encoded('jpeg')).subarray(0, 40), randomBytes(2000)]);
  for (let i = 0; i < LIMIT; i += 1) expect(codeOf(await sendImage(server, { conversationId }, corrupt, { token: ana.token }))).toBe('UNSUPPORTED_MEDIA_TYPE');
  expect(codeOf(await sendImage(server, { conversationId }, await encoded('jpeg'), { token: ana.token }))).toBe('RATE_LIMITED');
});

test('an image over sharp\'s own pixel limit (400 MP) answers PAYLOAD_TOO_LARGE', async () => {
  const { ana, conversationId } = await conversationPair(server);
  const answer = await sendImage(server, { conversationId }, blackPng(20_000, 20_000), { token: ana.token, filename: 'huge.png', contentType: 'image/png' });
  expect(codeOf(answer)).toBe('PAYLOAD_TOO_LARGE');
});

/** fetch(), as a browser or Node client sends an upload: the whole body, then reads the answer. */
async function fetchUpload(fileBytes: number, headers: Record<string, string>) {
  const framing = multipartFraming({ conversationId: randomUUID() }, 'big.jpg', 'image/jpeg');
  const body = Buffer.concat([framing.head, randomBytes(fileBytes), framing.tail]);
  const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': framing.contentType, ...headers }, body });
  return { status: response.status, json: (await response.json()) as { errors: { extensions: { code: string } }[] } };
}

test('a body over the cap is answered 413 and fetch reads it (lingering close, not a reset)', async () => {
  const { ana } = await conversationPair(server);
  const { status, json } = await fetchUpload(3 * LIMITS.maxUploadBytes, { authorization: `Bearer ${ana.token}`, 'apollo-require-preflight': 'true' });
  expect(status).toBe(413);
  expect(json.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
});

test('an upload without the CSRF preflight header is answered 400 and fetch reads it', async () => {
  const { ana } = await conversationPair(server);
  const { status, json } = await fetchUpload(3 * LIMITS.maxUploadBytes, { authorization: `Bearer ${ana.token}` });
  expect(status).toBe(400);
  expect(json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
});
