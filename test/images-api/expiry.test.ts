import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findJob, JOBS } from '../../src/jobs/registry';
import { ImageMessagesDocument } from '../generated/graphql';
import { encoded } from '../fixtures/images/generate';
import { TEST_JWT_SECRET, type TestServer, conversationPair, startTestServer } from '../helpers/test-server';
import { startS3, type S3Harness } from './s3rver-harness';
import { download, localObjects, sendImage } from './upload-client';

// Every test that expires images lives in this file: the routine sees the whole database, so
// expiring images from two files at once would let one storage's run mark the other's images.

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

/** Uploads an image message and answers its message id and image. */
async function upload(server: TestServer, token: string, conversationId: string, caption?: string) {
  const result = await sendImage(server, { conversationId, caption }, await encoded('png', 300, 200), { token, filename: 'x.png' });
  expect(result.errors).toBeUndefined();
  return result.data!.sendImageMessage;
}

async function expire(server: TestServer, messageIds: string[]): Promise<void> {
  await server.service.orm.em
    .fork()
    .execute(`update message_images set delete_after = now() - interval '1 minute' where message_id = any(array[?]::uuid[])`, [messageIds]);
}

async function imageRow(server: TestServer, messageId: string) {
  const [row] = await server.service.orm.em
    .fork()
    .execute('select status, original_key, preview_key, thumbnail_key from message_images where message_id = ?', [messageId]);
  return row;
}

function runJob(server: TestServer, name = 'delete-expired-images') {
  const { services, config, logger } = { ...server.service, services: server.service.app.services };
  return findJob(name)!.run({ services, config, logger });
}

describe('image expiry with embedded storage', () => {
  let server: TestServer;
  let dataDir: string;
  const objectsDir = () => path.join(dataDir, 'objects');

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'images-expiry-'));
    server = await startTestServer({ DATA_DIR: dataDir });
  });
  afterAll(async () => {
    await server?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  test('deletes the objects of expired images, marks them DELETED with null URLs and keeps the message', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const old = await upload(server, ana.token, conversationId, 'old one');
    const fresh = await upload(server, ana.token, conversationId, 'fresh one');
    const oldUrl = old.image!.thumbnailUrl!;
    const oldFolder = `${path.dirname(String((await imageRow(server, old.id)).original_key))}/`;
    const freshObjects = (await localObjects(objectsDir())).filter((key) => !key.startsWith(oldFolder));
    expect(freshObjects.length).toBe((await localObjects(objectsDir())).length - 3);
    await expire(server, [old.id]);

    await runJob(server);

    expect(await imageRow(server, old.id)).toEqual({ status: 'DELETED', original_key: null, preview_key: null, thumbnail_key: null });
    expect((await imageRow(server, fresh.id)).status).toBe('READY');
    expect(await localObjects(objectsDir())).toEqual(freshObjects);
    expect((await download(oldUrl)).status).toBe(404);

    const history = await server.request(ImageMessagesDocument, { id: conversationId }, bo.token);
    const [first, second] = history.data!.conversation!.messages.edges.map((edge) => edge.node);
    expect(first).toMatchObject({ id: old.id, type: 'IMAGE', content: 'old one' });
    expect(first.image).toEqual({ id: old.image!.id, status: 'DELETED', originalUrl: null, previewUrl: null, thumbnailUrl: null });
    expect(second.image).toMatchObject({ status: 'READY' });
    expect(second.image!.thumbnailUrl).toEqual(expect.any(String));
  });

  test('is idempotent: a second run changes nothing and does not fail', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const message = await upload(server, ana.token, conversationId);
    await expire(server, [message.id]);
    const services = server.service.app.services;
    expect(await services.imageExpiry.deleteExpired(server.service.orm.em.fork())).toBe(1);
    const objects = await localObjects(objectsDir());
    expect(await services.imageExpiry.deleteExpired(server.service.orm.em.fork())).toBe(0);
    expect(await localObjects(objectsDir())).toEqual(objects);
    expect((await imageRow(server, message.id)).status).toBe('DELETED');
  });

  test('works in batches until every expired image is done', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const messages = [];
    for (let i = 0; i < 5; i += 1) messages.push(await upload(server, ana.token, conversationId));
    await expire(server, messages.map((m) => m.id));
    const services = server.service.app.services;
    const spy = jest.spyOn(services.imageStorage, 'remove');

    expect(await services.imageExpiry.deleteExpired(server.service.orm.em.fork(), { batchSize: 2 })).toBe(5);

    expect(spy.mock.calls.map(([keys]) => keys.length)).toEqual([6, 6, 3]);
    for (const m of messages) expect((await imageRow(server, m.id)).status).toBe('DELETED');
    spy.mockRestore();
  });

  test('npm run jobs:run -- delete-expired-images runs it in its own process', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const message = await upload(server, ana.token, conversationId);
    await expire(server, [message.id]);
    const env = {
      ...process.env,
      DATABASE_URL: server.service.databaseUrl,
      DATA_DIR: dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'silent',
    };
    await run(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/jobs-run.ts', 'delete-expired-images'], { cwd: ROOT, env });
    expect(await imageRow(server, message.id)).toEqual({ status: 'DELETED', original_key: null, preview_key: null, thumbnail_key: null });
  }, 60_000);

  test('jobs:run with an unknown name prints the jobs it knows and exits 2', async () => {
    const failed = await run(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/jobs-run.ts', 'no-such-job'], { cwd: ROOT }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain('unknown job "no-such-job"');
    for (const job of JOBS) expect(failed?.stderr).toContain(job.name);
  }, 60_000);
});

describe('image expiry with S3 storage (s3rver)', () => {
  let s3: S3Harness;
  let server: TestServer;

  beforeAll(async () => {
    s3 = await startS3();
    server = await startTestServer(s3.env);
  });
  afterAll(async () => {
    await server?.stop();
    await s3?.close();
  });

  test('deletes the objects from the bucket, marks the image DELETED and keeps the message', async () => {
    const { ana, conversationId } = await conversationPair(server);
    const old = await upload(server, ana.token, conversationId, 'kept');
    const fresh = await upload(server, ana.token, conversationId);
    const freshRow = await imageRow(server, fresh.id);
    expect(await s3.keys()).toHaveLength(6);
    await expire(server, [old.id]);

    await runJob(server);

    expect(await s3.keys()).toEqual([freshRow.original_key, freshRow.preview_key, freshRow.thumbnail_key].sort());
    expect(await imageRow(server, old.id)).toEqual({ status: 'DELETED', original_key: null, preview_key: null, thumbnail_key: null });
    const history = await server.request(ImageMessagesDocument, { id: conversationId }, ana.token);
    const first = history.data!.conversation!.messages.edges[0].node;
    expect(first).toMatchObject({ id: old.id, content: 'kept', image: { status: 'DELETED', originalUrl: null, previewUrl: null, thumbnailUrl: null } });
    await runJob(server);
    expect(await s3.keys()).toHaveLength(3);
  });
});
