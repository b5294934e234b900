import sharp from 'sharp';
import { configureSharp } from '../../src/images/sharp-setup';
import { SVG, encoded } from '../fixtures/images/generate';

describe('configureSharp', () => {
  beforeAll(() => configureSharp());

  it.each([
    ['GIF', () => encoded('gif')],
    ['TIFF', () => encoded('tiff')],
    ['AVIF (HEIF)', () => encoded('avif')],
    ['SVG', async () => SVG],
  ])('blocks the %s decoder itself, not only our format check', async (_name, make) => {
    await expect(sharp(await make()).metadata()).rejects.toThrow(/unsupported image format/);
  });

  it.each(['jpeg', 'png', 'webp'] as const)('still decodes %s from memory', async (format) => {
    await expect(sharp(await encoded(format)).metadata()).resolves.toMatchObject({ format });
  });

  it('blocks file loaders too: uploads only ever come from memory', async () => {
    await expect(sharp(__filename).metadata()).rejects.toThrow();
  });
});
