import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { assertValidObjectKey, type ObjectStorage } from './object-storage';

/** SigV4 presigned URLs cannot live longer than seven days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
/** DeleteObjects accepts at most this many keys per request. */
const DELETE_BATCH = 1000;

export interface S3StorageOptions {
  /** A private bucket; objects are only reachable through presigned URLs. */
  bucket: string;
  /**
   * `S3_REGION`. Unset: the SDK's default chain (AWS_REGION, profile); with a custom
   * `endpoint`, us-east-1, which S3-compatible stores generally ignore.
   */
  region?: string;
  /** `S3_ENDPOINT`, for S3-compatible stores (MinIO, R2, s3rver in tests). */
  endpoint?: string;
  /** `S3_FORCE_PATH_STYLE`: `endpoint/bucket/key` URLs, which most S3-compatible stores need. */
  forcePathStyle?: boolean;
  /**
   * Static credentials, for tests. Unset: the SDK's default chain (AWS_* variables, profile,
   * web identity, instance role).
   */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Use this client instead of building one (its settings win over the ones above). */
  client?: S3Client;
}

/**
 * `ObjectStorage` on S3 or an S3-compatible store. GETs go through presigned URLs; note that
 * a URL signed with temporary credentials (an instance role) stops working when they expire,
 * even if its own lifetime is longer.
 */
export class S3ObjectStorage implements ObjectStorage {
  readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.client =
      options.client ??
      new S3Client({
        region: options.region ?? (options.endpoint && !process.env.AWS_REGION ? 'us-east-1' : undefined),
        endpoint: options.endpoint,
        forcePathStyle: options.forcePathStyle,
        credentials: options.credentials,
        // The SDK's default (checksums on every request) breaks several S3-compatible stores;
        // S3 itself only requires them where the API says so.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    assertValidObjectKey(key);
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async delete(keys: string[]): Promise<void> {
    keys.forEach(assertValidObjectKey);
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const result = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      // DeleteObjects answers 200 even when single keys fail; missing keys are not failures.
      const failed = (result.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        throw new Error(`S3 delete failed for ${failed.length} object(s): ${failed[0].Code} ${failed[0].Message}`);
      }
    }
  }

  async exists(key: string): Promise<boolean> {
    assertValidObjectKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Presigned GET; `ttlSeconds` is clamped to 1..7 days (the SigV4 maximum). */
  async signedUrl(key: string, ttlSeconds: number): Promise<string> {
    assertValidObjectKey(key);
    const expiresIn = Math.min(Math.max(1, Math.floor(ttlSeconds)), MAX_PRESIGN_SECONDS);
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn });
  }

  async isHealthy(): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return true;
    } catch {
      return false;
    }
  }

  /** Closes the client's sockets. */
  close(): void {
    this.client.destroy();
  }
}

function isNotFound(error: unknown): boolean {
  if (error instanceof S3ServiceException) {
    return error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404;
  }
  return false;
}
