import type { Redis } from 'ioredis';
import { createPubSub } from '../../src/realtime/create-pubsub';
import { InProcessPubSub } from '../../src/realtime/in-process-pubsub';
import { RedisPubSub, type RedisConnectionRole } from '../../src/realtime/redis-pubsub';
import { topics, type MessagePayload, type TypingPayload } from '../../src/realtime/topics';
import { MessageType } from '../../src/schema/common/enums';
import {
  deleteKeys,
  describeWithRedis,
  newRedis,
  nextWithin,
  redisUrl,
  silentLogger,
  sleep,
  uniquePrefix,
  waitFor,
} from './redis-test-utils';

const prefix = uniquePrefix();

function typing(conversationId: string, isTyping = true): TypingPayload {
  return { conversationId, userId: 'u1', isTyping };
}

describeWithRedis('RedisPubSub', () => {
  let admin: Redis;
  let publisherSide: RedisPubSub;
  let subscriberSide: RedisPubSub;
  let topicCounter = 0;
  const freshTopic = () => topics.conversationTyping(`c${++topicCounter}`);
  const subscribers = async (topic: string) => {
    const [, count] = (await admin.pubsub('NUMSUB', `${prefix}${topic}`)) as [string, number];
    return Number(count);
  };

  beforeAll(() => {
    admin = newRedis();
    publisherSide = new RedisPubSub({ url: redisUrl, logger: silentLogger, channelPrefix: prefix, connectionName: `${prefix}a` });
    subscriberSide = new RedisPubSub({ url: redisUrl, logger: silentLogger, channelPrefix: prefix, connectionName: `${prefix}b` });
  });

  afterAll(async () => {
    await publisherSide.close();
    await subscriberSide.close();
    await deleteKeys(admin, prefix);
    await admin.quit();
  });

  it('delivers an event published by one instance to a subscriber on another, as JSON', async () => {
    const topic = topics.conversationMessages('c-json');
    const payload: MessagePayload = {
      id: 'm1',
      conversationId: 'c-json',
      sequence: 42,
      type: MessageType.TEXT,
      senderId: 'u1',
      content: 'héllo "quoted" \u{1F600}\nnext line',
      metadata: { nested: { list: [1, 'two', null], flag: true } },
      clientMessageId: null,
      createdAt: new Date('2024-05-01T10:00:00.000Z').toISOString(),
      deliveredAt: null,
      readAt: null,
      sender: null,
      image: null,
      participantIds: ['u1', 'u2'],
      committedAt: 1714557600000,
    };
    const subscription = subscriberSide.subscribe(topic);
    await subscription.ready;
    await publisherSide.publish(topic, payload);

    const result = await nextWithin(subscription);
    expect(result).toEqual({ value: payload, done: false });
    await subscription.return!();
  });

  it('receives an event published right after ready resolved, every time', async () => {
    for (let i = 0; i < 25; i += 1) {
      const topic = freshTopic();
      const subscription = subscriberSide.subscribe(topic);
      await subscription.ready;
      await publisherSide.publish(topic, typing(`c${i}`));
      await expect(nextWithin(subscription)).resolves.toEqual({ value: typing(`c${i}`), done: false });
      await subscription.return!();
    }
  });

  it('keeps events in order and gives each subscriber its own copy', async () => {
    const topic = freshTopic();
    const first = subscriberSide.subscribe(topic);
    const second = subscriberSide.subscribe(topic);
    await Promise.all([first.ready, second.ready]);
    expect(await subscribers(topic)).toBe(1); // one Redis subscription shared by both

    for (let i = 0; i < 5; i += 1) await publisherSide.publish(topic, typing(`c${i}`, i % 2 === 0));
    const a = await nextWithin(first);
    (a.value as TypingPayload).userId = 'mutated';
    expect((await nextWithin(second)).value).toEqual(typing('c0', true));
    for (let i = 1; i < 5; i += 1) {
      expect((await nextWithin(first)).value).toEqual(typing(`c${i}`, i % 2 === 0));
      expect((await nextWithin(second)).value).toEqual(typing(`c${i}`, i % 2 === 0));
    }
    await first.return!();
    await second.return!();
  });

  it('return() ends the iterator and unsubscribes from Redis once the last subscriber leaves', async () => {
    const topic = freshTopic();
    const first = subscriberSide.subscribe(topic);
    const second = subscriberSide.subscribe(topic);
    await Promise.all([first.ready, second.ready]);
    expect(await subscribers(topic)).toBe(1);

    const pending = first.next();
    await first.return!();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    await expect(first.next()).resolves.toEqual({ value: undefined, done: true });

    // The other subscriber of the topic still receives.
    await publisherSide.publish(topic, typing('still'));
    expect((await nextWithin(second)).value).toEqual(typing('still'));
    expect(await subscribers(topic)).toBe(1);

    await second.return!();
    await waitFor(async () => (await subscribers(topic)) === 0, 2000, 'UNSUBSCRIBE');
  });

  it('return() before ready still releases the Redis subscription', async () => {
    const topic = freshTopic();
    const subscription = subscriberSide.subscribe(topic);
    await subscription.return!();
    await subscription.ready;
    await waitFor(async () => (await subscribers(topic)) === 0, 2000, 'UNSUBSCRIBE');
    await expect(subscription.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('fans out to subscribers on several instances', async () => {
    const topic = freshTopic();
    const onB = subscriberSide.subscribe(topic);
    const onA = publisherSide.subscribe(topic);
    await Promise.all([onA.ready, onB.ready]);
    await publisherSide.publish(topic, typing('fan'));
    expect((await nextWithin(onA)).value).toEqual(typing('fan'));
    expect((await nextWithin(onB)).value).toEqual(typing('fan'));
    await onA.return!();
    await onB.return!();
  });

  it('drops a payload that is not JSON and keeps the subscription alive', async () => {
    const topic = freshTopic();
    const subscription = subscriberSide.subscribe(topic);
    await subscription.ready;
    await admin.publish(`${prefix}${topic}`, 'not json {');
    await publisherSide.publish(topic, typing('after'));
    expect((await nextWithin(subscription)).value).toEqual(typing('after'));
    await subscription.return!();
  });

  it('restores values with the reviver', async () => {
    const reviving = new RedisPubSub({
      url: redisUrl,
      logger: silentLogger,
      channelPrefix: prefix,
      reviver: (key, value) => (key === 'readAt' && typeof value === 'string' ? new Date(value) : value),
    });
    try {
      const topic = topics.conversationReads('c-reviver');
      const subscription = reviving.subscribe(topic);
      await subscription.ready;
      const readAt = '2024-05-01T10:00:00.000Z';
      await publisherSide.publish(topic, { conversationId: 'c-reviver', readerId: 'u2', messageIds: ['m1'], readAt });
      const { value } = await nextWithin(subscription);
      expect((value as { readAt: unknown }).readAt).toEqual(new Date(readAt));
      await subscription.return!();
    } finally {
      await reviving.close();
    }
  });

  it('reconnects after the subscriber connection is killed, counts it, and resubscribes', async () => {
    const name = `${prefix}reconnect`;
    const roles: RedisConnectionRole[] = [];
    const pubsub = new RedisPubSub({
      url: redisUrl,
      logger: silentLogger,
      channelPrefix: prefix,
      connectionName: name,
      retryBaseMs: 20,
      retryMaxMs: 100,
    });
    pubsub.onReconnect((role) => roles.push(role));
    try {
      const topic = freshTopic();
      const subscription = pubsub.subscribe(topic);
      await subscription.ready;

      const clients = (await admin.client('LIST')) as string;
      const line = clients.split('\n').find((entry) => entry.includes(`name=${name}:subscriber `));
      const id = /(?:^|\s)id=(\d+)/.exec(line ?? '')?.[1];
      expect(id).toBeDefined();
      await admin.client('KILL', 'ID', id!);

      await waitFor(() => pubsub.reconnects === 1, 5000, 'reconnect');
      expect(roles).toEqual(['subscriber']);
      await waitFor(async () => (await subscribers(topic)) === 1, 5000, 'resubscribe');
      await publisherSide.publish(topic, typing('after-reconnect'));
      expect((await nextWithin(subscription)).value).toEqual(typing('after-reconnect'));
      await subscription.return!();
    } finally {
      await pubsub.close();
    }
  });

  it('reports health, and close() ends live subscriptions', async () => {
    const pubsub = new RedisPubSub({ url: redisUrl, logger: silentLogger, channelPrefix: prefix });
    const subscription = pubsub.subscribe(freshTopic());
    await subscription.ready;
    expect(await pubsub.isHealthy()).toBe(true);

    const pending = subscription.next();
    await pubsub.close();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    expect(await pubsub.isHealthy()).toBe(false);
    await expect(pubsub.publish(freshTopic(), typing('closed'))).rejects.toThrow('closed');
    await expect(pubsub.subscribe(freshTopic()).ready).rejects.toThrow('closed');
  });

  it('ends a subscription whose consumer falls too far behind instead of dropping events', async () => {
    const pubsub = new RedisPubSub({ url: redisUrl, logger: silentLogger, channelPrefix: prefix, maxBuffered: 3 });
    try {
      const topic = freshTopic();
      const subscription = pubsub.subscribe(topic);
      await subscription.ready;
      for (let i = 0; i < 4; i += 1) await publisherSide.publish(topic, typing(`c${i}`));
      await sleep(100);
      await expect(subscription.next()).rejects.toThrow('behind');
      await expect(subscription.next()).resolves.toEqual({ value: undefined, done: true });
      await waitFor(async () => (await subscribers(topic)) === 0, 2000, 'UNSUBSCRIBE');
    } finally {
      await pubsub.close();
    }
  });
});

describe('createPubSub', () => {
  it('is in-process without a Redis URL', async () => {
    const pubsub = createPubSub(undefined, silentLogger);
    expect(pubsub).toBeInstanceOf(InProcessPubSub);
    await pubsub.close();
  });

  describeWithRedis('with a Redis URL', () => {
    it('is RedisPubSub', async () => {
      const pubsub = createPubSub(redisUrl, silentLogger);
      expect(pubsub).toBeInstanceOf(RedisPubSub);
      expect(await pubsub.isHealthy()).toBe(true);
      await pubsub.close();
    });
  });
});
