import { createLimitedImageProcessor } from '../../src/images/image-processor';
import { Semaphore } from '../../src/images/semaphore';
import { encoded } from '../fixtures/images/generate';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('Semaphore', () => {
  it('runs at most `limit` tasks at once, in order, and frees slots on failure', async () => {
    const semaphore = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const task = (i: number) => async () => {
      started.push(i);
      running += 1;
      peak = Math.max(peak, running);
      await tick();
      running -= 1;
      if (i === 1) throw new Error('boom');
      return i;
    };

    const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map((i) => semaphore.run(task(i))));

    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(semaphore.running).toBe(0);
    expect(semaphore.pending).toBe(0);
  });

  it('refuses a limit below one', () => {
    expect(() => new Semaphore(0)).toThrow();
  });
});

describe('createLimitedImageProcessor', () => {
  it('processes several images through a bounded pipeline', async () => {
    const process = createLimitedImageProcessor(1);
    const inputs = await Promise.all([encoded('jpeg'), encoded('png'), encoded('webp')]);

    const results = await Promise.all(inputs.map((input) => process(input)));

    expect(results.map((r) => r.format)).toEqual(['jpeg', 'png', 'webp']);
  });
});
