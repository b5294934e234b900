import sharp from 'sharp';
import { encoded, jpegWithExifAndGps } from '../fixtures/images/generate';
import { type TestServer, codes, conversationPair, startTestServer } from '../helpers/test-server';
import { startS3, type S3Harness } from './s3rver-harness';
import { download, sendImage, storedRows } from './upload-client';

let s3: S3Harness;
let server: TestServer;

beforeAll(async () => {
  s3 = await startS3();
  server = await startTestServer({ ...s3.env, IMAGE_URL_TTL_SECONDS: '120' });
});
afterAll(async () => {
  await server?.stop();
  await s3?.close();
});

describe('sendImageMessage with S3 storage (s3rver)', () => {
  test('stores three objects in the bucket and answers presigned URLs that return the bytes', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const before = await s3.keys();
    const result = await sendImage(server, { conversationId, caption: 'from S3' }, await jpegWithExifAndGps(), { token: ana.token });

    expect(result.errors).toBeUndefined();
    const message = result.data!.sendImageMessage;
    expect(message).toMatchObject({ type: 'IMAGE', content: 'from S3', image: { status: 'READY', mimeType: 'image/jpeg', width: 200, height: 300 } });
    const added = (await s3.keys()).filter((key) => !before.includes(key));
    expect(added).toHaveLength(3);
    expect(added.every((key) => /^img\/[0-9a-f]{32}\/(original|preview\.webp|thumb\.webp)$/.test(key))).toBe(true);

    const image = message.image!;
    for (const url of [image.originalUrl!, image.previewUrl!, image.thumbnailUrl!]) {
      expect(url).toContain(s3.env.S3_ENDPOINT);
      expect(url).toContain('X-Amz-Expires=120');
    }
    const original = await download(image.originalUrl!);
    expect(original.status).toBe(200);
    expect(original.headers.get('content-type')).toBe('image/jpeg');
    expect(original.bytes.length).toBe(image.sizeBytes);
    expect((await sharp(original.bytes).metadata()).exif).toBeUndefined();
    const thumbnail = await download(image.thumbnailUrl!);
    expect(thumbnail.headers.get('content-type')).toBe('image/webp');
    expect((await sharp(thumbnail.bytes).metadata()).format).toBe('webp');
  });

  test('a refused upload leaves no object in the bucket and no message', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const before = await s3.keys();
    const gif = await sendImage(server, { conversationId }, await encoded('gif'), { token: ana.token, filename: 'x.png' });
    expect(codes(gif)).toEqual(['UNSUPPORTED_MEDIA_TYPE']);
    expect(await s3.keys()).toEqual(before);
    expect(await storedRows(server, conversationId)).toEqual({ messages: 0, images: 0 });
  });

  test('/readyz reports the bucket as storage', async () => {
    const ready = await fetch(server.url.replace('/graphql', '/readyz'));
    expect(await ready.json()).toMatchObject({ status: 'ready', storage: true });
  });

  test('with the bucket gone: uploads fail without a message, /readyz stays ready and reports storage false', async () => {
    const broken = await startTestServer({ ...s3.env, S3_BUCKET: 'no-such-bucket' });
    try {
      const { ana, conversationId } = await conversationPair(broken);
      const failed = await sendImage(broken, { conversationId }, await encoded('jpeg'), { token: ana.token });
      expect(codes(failed)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(await storedRows(broken, conversationId)).toEqual({ messages: 0, images: 0 });
      const ready = await fetch(broken.url.replace('/graphql', '/readyz'));
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', storage: false });
    } finally {
      await broken.stop();
    }
  });
});
