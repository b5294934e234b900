import type { Readable } from 'node:stream';
import { DomainError, ErrorCode } from '../errors';

/**
 * Reads `stream` into one Buffer, refusing it with PAYLOAD_TOO_LARGE as soon as it goes past
 * `maxBytes`: the chunk that crosses the cap is dropped, the stream destroyed, and nothing
 * more is read. Errors of the stream itself are passed on unchanged.
 */
export async function readUploadWithCap(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    total += buffer.length;
    if (total > maxBytes) {
      stream.destroy();
      throw new DomainError(ErrorCode.PAYLOAD_TOO_LARGE, `File is larger than ${formatBytes(maxBytes)}`, {
        maxBytes,
      });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, total);
}

function formatBytes(bytes: number): string {
  const mb = 1024 * 1024;
  if (bytes >= mb && bytes % mb === 0) return `${bytes / mb} MB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}
