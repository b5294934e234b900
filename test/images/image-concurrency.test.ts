import { createLimitedImageProcessor } from '../../src/images/image-processor';
import { encoded } from '../fixtures/images/generate';

describe('createLimitedImageProcessor', () => {
  it('processes several images through a bounded pipeline', async () => {
    const process = createLimitedImageProcessor(1);
    const inputs = await Promise.all([encoded('jpeg'), encoded('png'), encoded('webp')]);

    const results = await Promise.all(inputs.map((input) => process(input)));

    expect(results.map((r) => r.format)).toEqual(['jpeg', 'png', 'webp']);
  });

  it('refuses a limit below one', () => {
    expect(() => createLimitedImageProcessor(0)).toThrow();
  });
});
