import { SubscriberTooSlowError, SubscriptionQueue } from '../../src/realtime/subscription-queue';

describe('SubscriptionQueue', () => {
  it('hands pushed values to waiting and later next() calls in order', async () => {
    const queue = new SubscriptionQueue<number>(Promise.resolve(), () => {});
    const waiting = queue.next();
    queue.push(1);
    queue.push(2);
    await expect(waiting).resolves.toEqual({ value: 1, done: false });
    await expect(queue.next()).resolves.toEqual({ value: 2, done: false });
  });

  it('releases once, on return(), throw() or a failed ready', async () => {
    const onClose = jest.fn();
    const queue = new SubscriptionQueue<number>(Promise.resolve(), onClose);
    await queue.return();
    await queue.return();
    await expect(queue.throw(new Error('x'))).rejects.toThrow('x');
    expect(onClose).toHaveBeenCalledTimes(1);

    const failedClose = jest.fn();
    const failed = new SubscriptionQueue<number>(Promise.reject(new Error('SUBSCRIBE failed')), failedClose);
    await expect(failed.ready).rejects.toThrow('SUBSCRIBE failed');
    await expect(failed.next()).rejects.toThrow('SUBSCRIBE failed');
    await expect(failed.next()).resolves.toEqual({ value: undefined, done: true });
    expect(failedClose).toHaveBeenCalledTimes(1);
  });

  it('fails a consumer that falls more than maxBuffered behind', async () => {
    const queue = new SubscriptionQueue<number>(Promise.resolve(), () => {}, 2);
    queue.push(1);
    queue.push(2);
    queue.push(3);
    await expect(queue.next()).rejects.toBeInstanceOf(SubscriberTooSlowError);
    await expect(queue.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('works with for await and stops on break', async () => {
    const onClose = jest.fn();
    const queue = new SubscriptionQueue<number>(Promise.resolve(), onClose);
    [1, 2, 3].forEach((value) => queue.push(value));
    const seen: number[] = [];
    for await (const value of queue) {
      seen.push(value);
      if (value === 2) break;
    }
    expect(seen).toEqual([1, 2]);
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});
