import { Readable } from 'node:stream';
import { DomainError, ErrorCode } from '../../src/errors';
import { readUploadWithCap } from '../../src/images/read-upload';

/** A stream of `count` chunks of `size` bytes that records how many were pulled. */
function chunks(count: number, size: number): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  const stream = Readable.from(
    (function* () {
      for (let i = 0; i < count; i++) {
        pulled += 1;
        yield Buffer.alloc(size, i);
      }
    })(),
  );
  return { stream, pulled: () => pulled };
}

describe('readUploadWithCap', () => {
  it('returns the whole content when it fits, the cap included', async () => {
    const { stream } = chunks(4, 256);

    const body = await readUploadWithCap(stream, 1024);

    expect(body.length).toBe(1024);
    expect(body[0]).toBe(0);
    expect(body[1023]).toBe(3);
  });

  it('refuses with PAYLOAD_TOO_LARGE at the first byte over the cap and stops reading', async () => {
    const { stream, pulled } = chunks(1000, 1024);

    const error = await readUploadWithCap(stream, 5 * 1024 - 1).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(ErrorCode.PAYLOAD_TOO_LARGE);
    expect((error as DomainError).message).toMatch(/larger than/);
    expect(pulled()).toBeLessThan(10);
    expect(stream.destroyed).toBe(true);
  });

  it('passes on errors of the stream', async () => {
    const stream = new Readable({
      read() {
        this.destroy(new Error('client went away'));
      },
    });

    await expect(readUploadWithCap(stream, 1024)).rejects.toThrow('client went away');
  });

  it('reads an empty stream as an empty buffer', async () => {
    await expect(readUploadWithCap(Readable.from([]), 10)).resolves.toEqual(Buffer.alloc(0));
  });
});
