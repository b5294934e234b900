import sharp from 'sharp';

/**
 * libvips loaders the service accepts: JPEG, PNG and WebP, from memory only. Every other
 * loader (SVG, PDF, HEIF/AVIF, TIFF, GIF, JPEG 2000, JPEG XL, ImageMagick, OpenSlide, raw
 * camera formats, and every file or stream loader) is blocked, so a crafted upload cannot
 * reach their parsers even if format detection is fooled.
 */
export const ALLOWED_LOADERS = ['VipsForeignLoadJpegBuffer', 'VipsForeignLoadPngBuffer', 'VipsForeignLoadWebpBuffer'];

let configured = false;

/**
 * Applies the process-wide sharp settings of the image pipeline, once. Blocking is global to
 * the process: after this, sharp can read no other format anywhere in it (writing any format
 * still works). `processImage` calls it; call it at start to fail early.
 */
export function configureSharp(): void {
  if (configured) return;
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({ operation: ALLOWED_LOADERS });
  // Every upload is a new image: libvips' operation cache would only hold memory.
  sharp.cache(false);
  configured = true;
}
