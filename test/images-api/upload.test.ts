import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { topics } from '../../src/realtime/topics';
import { ImageMessagesDocument } from '../generated/graphql';
import { COPYRIGHT_MARKER, encoded, jpegWithExifAndGps, XMP_MARKER } from '../fixtures/images/generate';
import { type TestServer, codes, conversationPair, startTestServer } from '../helpers/test-server';
import { download, localObjects, post, sendImage, storedRows } from './upload-client';

let server: TestServer;
let dataDir: string;
const objectsDir = () => path.join(dataDir, 'objects');

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'images-api-'));
  server = await startTestServer({ DATA_DIR: dataDir, MESSAGE_MAX_LENGTH: '20', IMAGE_RETENTION_DAYS: '30' });
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('sendImageMessage over HTTP multipart, embedded storage', () => {
  test.each([
    ['jpeg', 'image/jpeg'],
    ['png', 'image/png'],
    ['webp', 'image/webp'],
  ] as const)('accepts %s end to end: message, image row, three objects, working URLs', async (format, mimeType) => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const before = await localObjects(objectsDir());
    const result = await sendImage(server, { conversationId }, await encoded(format, 120, 80), { token: ana.token, filename: `x.${format}`, contentType: mimeType });

    expect(result.errors).toBeUndefined();
    const message = result.data!.sendImageMessage;
    expect(message).toMatchObject({ conversationId, sequence: 1, type: 'IMAGE', content: null, sender: { id: ana.id } });
    expect(message.image).toMatchObject({ status: 'READY', mimeType, width: 120, height: 80 });
    expect(message.image!.sizeBytes).toBeGreaterThan(0);
    expect(await storedRows(server, conversationId)).toEqual({ messages: 1, images: 1 });
    expect((await localObjects(objectsDir())).length).toBe(before.length + 3);

    const original = await download(message.image!.originalUrl!);
    expect(original.status).toBe(200);
    expect(original.headers.get('content-type')).toBe(mimeType);
    expect(original.bytes.length).toBe(message.image!.sizeBytes);
    expect((await sharp(original.bytes).metadata()).format).toBe(format);

    // The other participant reads the same image, with URLs of their own.
    const history = await server.request(ImageMessagesDocument, { id: conversationId }, bo.token);
    expect(history.errors).toBeUndefined();
    const seen = history.data!.conversation!.messages.edges[0].node;
    expect(seen.image).toMatchObject({ id: message.image!.id, status: 'READY' });
    expect((await download(seen.image!.thumbnailUrl!)).status).toBe(200);
  });

  test('the thumbnail URL serves a small WebP with nosniff; a tampered URL is refused', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const result = await sendImage(server, { conversationId }, await encoded('jpeg', 2000, 1000), { token: ana.token });
    const image = result.data!.sendImageMessage.image!;

    const thumbnail = await download(image.thumbnailUrl!);
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('content-type')).toBe('image/webp');
    expect(thumbnail.headers.get('x-content-type-options')).toBe('nosniff');
    expect(thumbnail.bytes.subarray(8, 12).toString('latin1')).toBe('WEBP');
    expect(thumbnail.bytes.length).toBeLessThan(20_000);

    const tampered = image.thumbnailUrl!.replace(/sig=([^&])/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    expect((await download(tampered)).status).toBe(403);
  });

  test('preview fits 1024 and thumbnail fits 256, keeping the aspect ratio; small images are not enlarged', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const big = (await sendImage(server, { conversationId }, await encoded('png', 2000, 1000), { token: ana.token })).data!.sendImageMessage.image!;
    expect([big.width, big.height]).toEqual([2000, 1000]);
    const preview = await sharp((await download(big.previewUrl!)).bytes).metadata();
    const thumbnail = await sharp((await download(big.thumbnailUrl!)).bytes).metadata();
    expect([preview.format, preview.width, preview.height]).toEqual(['webp', 1024, 512]);
    expect([thumbnail.format, thumbnail.width, thumbnail.height]).toEqual(['webp', 256, 128]);

    const small = (await sendImage(server, { conversationId }, await encoded('webp', 100, 60), { token: ana.token })).data!.sendImageMessage.image!;
    const smallThumb = await sharp((await download(small.thumbnailUrl!)).bytes).metadata();
    expect([smallThumb.width, smallThumb.height]).toEqual([100, 60]);
  });

  test('EXIF, GPS and XMP are gone from the stored original, which is turned upright', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const upload = await jpegWithExifAndGps();
    expect(upload.includes(COPYRIGHT_MARKER)).toBe(true);
    const image = (await sendImage(server, { conversationId }, upload, { token: ana.token })).data!.sendImageMessage.image!;
    // Stored 300x200 with orientation 6: displayed, and now stored, 200x300.
    expect([image.width, image.height]).toEqual([200, 300]);

    const original = (await download(image.originalUrl!)).bytes;
    const metadata = await sharp(original).metadata();
    expect(metadata.exif).toBeUndefined();
    expect(metadata.xmp).toBeUndefined();
    expect(metadata.orientation).toBeUndefined();
    for (const marker of [COPYRIGHT_MARKER, XMP_MARKER, 'PhoneCo', 'GPS']) expect(original.includes(marker)).toBe(false);
    // Red half on top after rotation.
    const { data } = await sharp(original).extract({ left: 100, top: 20, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(200);
    expect(data[2]).toBeLessThan(60);
  });

  test('the caption is sanitised like content; empty after sanitising means none; too long is refused', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const jpeg = await encoded('jpeg');
    const html = await sendImage(server, { conversationId, caption: '<script>x()</script><b>Hi</b> a < b' }, jpeg, { token: ana.token });
    expect(html.data!.sendImageMessage.content).toBe('Hi a < b');
    const blank = await sendImage(server, { conversationId, caption: '  <p> </p> ' }, jpeg, { token: ana.token });
    expect(blank.data!.sendImageMessage.content).toBeNull();

    const before = await localObjects(objectsDir());
    const tooLong = await sendImage(server, { conversationId, caption: 'x'.repeat(21) }, jpeg, { token: ana.token });
    expect(codes(tooLong)).toEqual(['BAD_USER_INPUT']);
    expect(await storedRows(server, conversationId)).toEqual({ messages: 2, images: 2 });
    expect(await localObjects(objectsDir())).toEqual(before);
  });

  test('deleteAfter is IMAGE_RETENTION_DAYS after the upload', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const message = (await sendImage(server, { conversationId }, await encoded('png'), { token: ana.token })).data!.sendImageMessage;
    const days = (Date.parse(message.image!.deleteAfter) - Date.parse(message.createdAt)) / 86_400_000;
    expect(days).toBeCloseTo(30, 3);
  });

  test('an idempotent retry returns the same message and stores nothing new', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const jpeg = await encoded('jpeg');
    const first = await sendImage(server, { conversationId, clientMessageId: 'img-1' }, jpeg, { token: ana.token });
    const objects = await localObjects(objectsDir());
    const retry = await sendImage(server, { conversationId, clientMessageId: 'img-1' }, jpeg, { token: ana.token });

    expect(retry.errors).toBeUndefined();
    const [a, b] = [first.data!.sendImageMessage, retry.data!.sendImageMessage];
    expect(b).toMatchObject({ id: a.id, sequence: a.sequence, createdAt: a.createdAt, clientMessageId: 'img-1' });
    expect(b.image!.id).toBe(a.image!.id);
    expect(await localObjects(objectsDir())).toEqual(objects);
    expect(await storedRows(server, conversationId)).toEqual({ messages: 1, images: 1 });
  });

  test('racing retries with one key store one message and keep only its objects', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const before = (await localObjects(objectsDir())).length;
    const png = await encoded('png', 600, 400);
    const results = await Promise.all([1, 2, 3].map(() => sendImage(server, { conversationId, clientMessageId: 'race' }, png, { token: ana.token })));

    expect(results.map((r) => r.errors)).toEqual([undefined, undefined, undefined]);
    expect(new Set(results.map((r) => r.data!.sendImageMessage.id)).size).toBe(1);
    expect(await storedRows(server, conversationId)).toEqual({ messages: 1, images: 1 });
    expect((await localObjects(objectsDir())).length).toBe(before + 3);
  });

  test('a file left unread (no token) is discarded after the answer: the connection serves the next request', async () => {
    const { conversationId } = await conversationPair(server);
    // One kept-alive socket: the second request can only be read once the first body is gone.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const unread = Buffer.concat([await encoded('png'), randomBytes(4 * 1024 * 1024)]);
      for (let i = 0; i < 3; i += 1) {
        expect(codes(await sendImage(server, { conversationId }, unread, { token: null, agent }))).toEqual(['UNAUTHENTICATED']);
      }
      const next = await post(server.url, { 'content-type': 'application/json' }, Buffer.from('{"query":"{ __typename }"}'), agent);
      expect(next.status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  test('the stored image message is published to subscribers of the conversation after commit', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const subscription = server.service.pubsub.subscribe(topics.conversationMessages(conversationId));
    await subscription.ready;
    try {
      const sent = (await sendImage(server, { conversationId, caption: 'look' }, await encoded('jpeg'), { token: ana.token })).data!.sendImageMessage;
      const { value } = await subscription.next();
      expect(value).toMatchObject({ id: sent.id, type: 'IMAGE', content: 'look', sequence: 1, senderId: ana.id });
      // Published after commit: a subscriber resolving `image` finds the row.
      expect(await storedRows(server, conversationId)).toEqual({ messages: 1, images: 1 });
    } finally {
      await subscription.return?.();
    }
  });

  test('metrics count uploads by outcome and format, processing time and stored bytes', async () => {
    const { ana, conversationId } = await conversationPair(server);
    await sendImage(server, { conversationId, clientMessageId: 'm' }, await encoded('jpeg'), { token: ana.token });
    await sendImage(server, { conversationId, clientMessageId: 'm' }, await encoded('jpeg'), { token: ana.token });
    await sendImage(server, { conversationId, caption: 'x'.repeat(21) }, await encoded('jpeg'), { token: ana.token });
    await sendImage(server, { conversationId }, await encoded('png'), { token: ana.token });
    const text = await (await fetch(server.url.replace('/graphql', '/metrics'))).text();
    expect(text).toMatch(/image_uploads_total\{outcome="stored",format="jpeg"\} [1-9]/);
    expect(text).toMatch(/image_uploads_total\{outcome="replayed",format="unknown"\} [1-9]/);
    expect(text).toMatch(/image_uploads_total\{outcome="bad_user_input",format="unknown"\} [1-9]/);
    expect(text).toMatch(/image_processing_duration_seconds_count\{format="png"\} [1-9]/);
    expect(text).toMatch(/image_stored_bytes_total\{rendition="thumbnail"\} [1-9]/);
  });
});
