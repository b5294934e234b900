import sharp from 'sharp';
import { DomainError, ErrorCode } from '../../src/errors';
import { processImage, sniffFormat } from '../../src/images/image-processor';
import {
  COPYRIGHT_MARKER,
  SVG,
  XMP_MARKER,
  blackPng,
  bmp,
  encoded,
  jpegWithExifAndGps,
  noisy,
} from '../fixtures/images/generate';

async function expectRefused(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  if (message) expect((error as DomainError).message).toMatch(message);
}

async function pixelAt(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const offset = (y * info.width + x) * info.channels;
  return [...data.subarray(offset, offset + 3)];
}

describe('processImage', () => {
  it.each(['jpeg', 'png', 'webp'] as const)('accepts %s and keeps the original in that format', async (format) => {
    const result = await processImage(await encoded(format, 120, 80));

    expect(result).toMatchObject({ format, mimeType: `image/${format}`, width: 120, height: 80 });
    const original = await sharp(result.original).metadata();
    expect(original).toMatchObject({ format, width: 120, height: 80 });
    // Smaller than both boxes: never enlarged.
    expect(await sharp(result.preview).metadata()).toMatchObject({ format: 'webp', width: 120, height: 80 });
    expect(await sharp(result.thumbnail).metadata()).toMatchObject({ format: 'webp', width: 120, height: 80 });
  });

  it('fits the preview in 1024x1024 and the thumbnail in 256x256, keeping the aspect ratio', async () => {
    const landscape = await processImage(await encoded('jpeg', 3000, 2000));
    expect(await sharp(landscape.preview).metadata()).toMatchObject({ width: 1024, height: 683 });
    expect(await sharp(landscape.thumbnail).metadata()).toMatchObject({ width: 256, height: 171 });
    expect(landscape).toMatchObject({ width: 3000, height: 2000 });

    const portrait = await processImage(await encoded('png', 1000, 2500));
    expect(await sharp(portrait.preview).metadata()).toMatchObject({ width: 410, height: 1024 });
    expect(await sharp(portrait.thumbnail).metadata()).toMatchObject({ width: 102, height: 256 });
  });

  describe('a phone JPEG with EXIF orientation 6, GPS and XMP', () => {
    let input: Buffer;
    beforeAll(async () => {
      input = await jpegWithExifAndGps();
    });

    it('is a fixture that really carries that metadata', async () => {
      const meta = await sharp(input).metadata();
      expect(meta).toMatchObject({ orientation: 6, width: 300, height: 200 });
      expect(meta.exif?.includes(COPYRIGHT_MARKER)).toBe(true);
      expect(hasGpsPointer(meta.exif!)).toBe(true);
      expect(meta.xmp?.includes(XMP_MARKER)).toBe(true);
    });

    it('is stored upright with its displayed size', async () => {
      const result = await processImage(input);

      expect(result).toMatchObject({ format: 'jpeg', width: 200, height: 300 });
      expect(await sharp(result.original).metadata()).toMatchObject({ width: 200, height: 300 });
      // The stored left half (red) is the displayed top.
      const top = await pixelAt(result.original, 100, 20);
      const bottom = await pixelAt(result.original, 100, 280);
      expect(top[0]).toBeGreaterThan(200);
      expect(top[2]).toBeLessThan(60);
      expect(bottom[2]).toBeGreaterThan(200);
      expect(bottom[0]).toBeLessThan(60);
      expect(await sharp(result.preview).metadata()).toMatchObject({ width: 200, height: 300 });
    });

    it('keeps no EXIF, GPS, XMP, ICC or orientation in any rendition', async () => {
      const result = await processImage(input);

      for (const rendition of [result.original, result.preview, result.thumbnail]) {
        const meta = await sharp(rendition).metadata();
        expect(meta.exif).toBeUndefined();
        expect(meta.xmp).toBeUndefined();
        expect(meta.icc).toBeUndefined();
        expect(meta.iptc).toBeUndefined();
        expect(meta.orientation).toBeUndefined();
        expect(rendition.includes(COPYRIGHT_MARKER)).toBe(false);
        expect(rendition.includes(XMP_MARKER)).toBe(false);
        expect(rendition.includes('PhoneCo')).toBe(false);
      }
    });
  });

  it('converts images with a wide-gamut ICC profile to untagged sRGB', async () => {
    const p3 = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#c81e1e' } })
      .withIccProfile('p3')
      .png()
      .toBuffer();
    expect((await sharp(p3).metadata()).icc).toBeDefined();

    const result = await processImage(p3);

    const meta = await sharp(result.original).metadata();
    expect(meta.icc).toBeUndefined();
    expect(meta.space).toBe('srgb');
    const [r, g, b] = await pixelAt(result.original, 5, 5);
    expect(Math.abs(r - 0xc8) + Math.abs(g - 0x1e) + Math.abs(b - 0x1e)).toBeLessThan(8);
  });

  describe('refuses with UNSUPPORTED_MEDIA_TYPE, judging by the bytes only', () => {
    it.each([
      ['GIF', () => encoded('gif')],
      ['TIFF', () => encoded('tiff')],
      ['AVIF', () => encoded('avif')],
      ['SVG', async () => SVG],
      ['BMP', async () => bmp()],
      ['text', async () => Buffer.from('hello, this is not an image\n')],
      ['an empty file', async () => Buffer.alloc(0)],
      ['HTML', async () => Buffer.from('<!doctype html><script>alert(1)</script>')],
    ])('%s', async (_name, make) => {
      await expectRefused(processImage(await make()), ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    });

    it('an SVG behind a PNG signature (what a renamed .png could hide)', async () => {
      const disguised = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), SVG]);
      await expectRefused(processImage(disguised), ErrorCode.UNSUPPORTED_MEDIA_TYPE, /corrupt or truncated/);
    });

    it('a GIF behind a JPEG signature', async () => {
      const disguised = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), await encoded('gif')]);
      await expectRefused(processImage(disguised), ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    });
  });

  it.each(['jpeg', 'png', 'webp'] as const)('refuses a truncated %s as corrupt', async (format) => {
    const whole = await noisy(format);
    const truncated = whole.subarray(0, Math.floor(whole.length * 0.6));

    await expectRefused(processImage(truncated), ErrorCode.UNSUPPORTED_MEDIA_TYPE, /^corrupt or truncated image$/);
  });

  it('refuses a 48 megapixel PNG from its header, without decoding it', async () => {
    const bomb = blackPng(8000, 6000);
    expect(bomb.length).toBeLessThan(20_000);

    const started = Date.now();
    await expectRefused(processImage(bomb), ErrorCode.PAYLOAD_TOO_LARGE, /40 megapixels/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('accepts exactly maxPixels and refuses one row more', async () => {
    await expect(processImage(blackPng(100, 100), { maxPixels: 10_000 })).resolves.toMatchObject({
      format: 'png',
      width: 100,
      height: 100,
    });
    await expectRefused(processImage(blackPng(100, 101), { maxPixels: 10_000 }), ErrorCode.PAYLOAD_TOO_LARGE);
  });
});

describe('sniffFormat', () => {
  it('reads the signature, not the rest', async () => {
    expect(sniffFormat(await encoded('jpeg'))).toBe('jpeg');
    expect(sniffFormat(await encoded('png'))).toBe('png');
    expect(sniffFormat(await encoded('webp'))).toBe('webp');
    expect(sniffFormat(await encoded('gif'))).toBeNull();
    expect(sniffFormat(Buffer.from('RIFF\0\0\0\0WAVE'))).toBeNull();
    expect(sniffFormat(Buffer.from([0xff, 0xd8]))).toBeNull();
  });
});

/** EXIF IFD0 tag 0x8825 points at the GPS IFD; either byte order. */
function hasGpsPointer(exif: Buffer): boolean {
  return exif.includes(Buffer.from([0x88, 0x25])) || exif.includes(Buffer.from([0x25, 0x88]));
}
