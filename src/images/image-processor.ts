import pLimit from 'p-limit';
import sharp, { type Sharp } from 'sharp';
import { DomainError, ErrorCode } from '../errors';
import { configureSharp } from './sharp-setup';

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export const IMAGE_MIME_TYPES: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

/** The contract's cap: images over 40 megapixels are refused. */
export const MAX_IMAGE_PIXELS = 40_000_000;

export interface ProcessImageOptions {
  /** Largest width x height accepted (after nothing is decoded but the header). Default 40 MP. */
  maxPixels?: number;
  /** The preview fits a square of this side, never enlarged. Default 1024. */
  previewSize?: number;
  /** The thumbnail fits a square of this side, never enlarged. Default 256. */
  thumbnailSize?: number;
}

/** An accepted image, cleaned and resized; every buffer is free of EXIF, GPS, XMP and ICC data. */
export interface ProcessedImage {
  format: ImageFormat;
  mimeType: string;
  /** Of the original as displayed, i.e. after EXIF rotation. */
  width: number;
  height: number;
  /** Re-encoded in the uploaded format: upright, sRGB, without metadata. */
  original: Buffer;
  /** WebP, fits `previewSize` (1024) square. */
  preview: Buffer;
  /** WebP, fits `thumbnailSize` (256) square. */
  thumbnail: Buffer;
}

const corrupt = () => new DomainError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'corrupt or truncated image');
const unsupported = () =>
  new DomainError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Only JPEG, PNG and WebP images are accepted');
const tooManyPixels = (maxPixels: number) =>
  new DomainError(
    ErrorCode.PAYLOAD_TOO_LARGE,
    `Image has more than ${maxPixels / 1_000_000} megapixels`,
    { maxPixels },
  );

/**
 * Validates an uploaded image by its bytes and makes the three stored renditions.
 *
 * Only JPEG, PNG and WebP are accepted, whatever the file name or declared type
 * (UNSUPPORTED_MEDIA_TYPE otherwise, also for corrupt or truncated files). The pixel count is
 * read from the header and checked before anything is decoded (PAYLOAD_TOO_LARGE). Animated
 * WebP and APNG keep their first frame. Callers should cap the byte size first
 * (`readUploadWithCap`) and bound concurrency (`processImageLimited`).
 */
export async function processImage(input: Buffer, options: ProcessImageOptions = {}): Promise<ProcessedImage> {
  configureSharp();
  const maxPixels = options.maxPixels ?? MAX_IMAGE_PIXELS;
  const format = sniffFormat(input);
  if (!format) throw unsupported();

  // The header only, without sharp's own pixel limit (~268 MP, which would make an image over
  // it look corrupt): the contract's limit below answers PAYLOAD_TOO_LARGE.
  const metadata = await sharp(input, { limitInputPixels: false }).metadata().catch((error: unknown) => {
    if (error instanceof Error && /pixel limit/i.test(error.message)) throw tooManyPixels(maxPixels);
    throw corrupt();
  });
  if (metadata.format !== format) throw unsupported();
  if (!metadata.width || !metadata.height) throw corrupt();
  if (metadata.width * metadata.height > maxPixels) throw tooManyPixels(maxPixels);

  // Each rendition decodes the input again: JPEG shrink-on-load makes the small ones cheap,
  // and holding one decoded 40 MP image at a time keeps the peak memory down.
  const load = (): Sharp =>
    sharp(input, { failOn: 'error', limitInputPixels: maxPixels }).rotate().toColourspace('srgb');
  try {
    const original = await encodeOriginal(load(), format, metadata.isPalette).toBuffer({ resolveWithObject: true });
    const previewSize = options.previewSize ?? 1024;
    const preview = await fitInside(load(), previewSize).webp({ quality: 80 }).toBuffer();
    // From the preview, not the original: the same pixels at a fraction of the decoding cost.
    const thumbnail = await fitInside(sharp(preview), options.thumbnailSize ?? 256)
      .webp({ quality: 75 })
      .toBuffer();
    return {
      format,
      mimeType: IMAGE_MIME_TYPES[format],
      width: original.info.width,
      height: original.info.height,
      original: original.data,
      preview,
      thumbnail,
    };
  } catch (error) {
    if (error instanceof Error && /pixel limit/i.test(error.message)) throw tooManyPixels(maxPixels);
    // libvips failures here come from the input (bad data, early end of stream).
    throw Object.assign(corrupt(), { cause: error });
  }
}

/** How many images one process works on at once by default. */
export const DEFAULT_IMAGE_CONCURRENCY = 2;

/**
 * A `processImage` that works on at most `limit` images at once in this process; the others
 * wait their turn. Decoding a large image takes tens to hundreds of MB and all the cores
 * libvips is given, so more at once only adds memory, not throughput.
 */
export function createLimitedImageProcessor(
  limit = DEFAULT_IMAGE_CONCURRENCY,
): (input: Buffer, options?: ProcessImageOptions) => Promise<ProcessedImage> {
  // p-limit 3.x on purpose: 4.0 and later are ESM only, and this project runs as CommonJS
  // (ts-node, Jest through ts-jest); 3.x is the last line that `require()` loads.
  const limited = pLimit(limit);
  return (input, options) => limited(() => processImage(input, options));
}

/** `processImage` limited to `DEFAULT_IMAGE_CONCURRENCY` images at once, shared by the process. */
export const processImageLimited = createLimitedImageProcessor();

/** The format named by the file signature (magic bytes), or null for anything else. */
export function sniffFormat(bytes: Buffer): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (
    bytes.length >= 12 &&
    bytes.toString('latin1', 0, 4) === 'RIFF' &&
    bytes.toString('latin1', 8, 12) === 'WEBP'
  ) {
    return 'webp';
  }
  return null;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function encodeOriginal(image: Sharp, format: ImageFormat, isPalette: boolean | undefined): Sharp {
  switch (format) {
    case 'jpeg':
      return image.jpeg({ quality: 90 });
    case 'png':
      // Re-quantise palette images, or a small indexed PNG grows several times as truecolour.
      return image.png({ palette: isPalette === true });
    case 'webp':
      return image.webp({ quality: 90 });
  }
}

function fitInside(image: Sharp, size: number): Sharp {
  return image.resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true });
}
