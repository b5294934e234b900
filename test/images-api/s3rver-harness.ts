import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { S3ObjectStorage } from '../../src/storage/s3-storage';

const BUCKET = 'images-test';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

/** An S3-compatible server on a free port, with the settings that point the service at it. */
export interface S3Harness {
  /** Environment of a test server that stores in this bucket. */
  env: Record<string, string>;
  /** Every key in the bucket, sorted. */
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Starts s3rver with one bucket. The service takes AWS credentials from the usual variables,
 * so they are set in this process while the harness runs.
 */
export async function startS3(): Promise<S3Harness> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 's3rver-images-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: BUCKET }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const saved = Object.fromEntries(Object.keys(CREDENTIALS).map((name) => [name, process.env[name]]));
  Object.assign(process.env, CREDENTIALS);
  const client = new S3ObjectStorage({ bucket: BUCKET, endpoint, region: 'us-east-1', forcePathStyle: true });
  return {
    env: { S3_BUCKET: BUCKET, S3_ENDPOINT: endpoint, S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: 'true' },
    async keys() {
      const listed = await client.client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
      return (listed.Contents ?? []).map((object) => object.Key!).sort();
    },
    async close() {
      client.close();
      await server.close();
      await fs.rm(directory, { recursive: true, force: true });
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}
