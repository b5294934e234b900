import { randomUUID } from 'node:crypto';
import { MessageReceivedDocument, SetTypingDocument, TypingDocument } from '../generated/graphql';
import { startTestServer } from '../helpers/test-server';
import { RealtimeClient, conversationPair, describeWithRedis, waitForSubscriptions, wsUrl } from './realtime-helpers';

/** Graceful stop: sockets are closed with 1001 (clients reconnect elsewhere), nothing hangs. */

test('stopping the server closes open sockets with 1001 and returns promptly', async () => {
  const server = await startTestServer();
  const { bo, conversationId } = await conversationPair(server);
  const client = new RealtimeClient(wsUrl(server), bo.token);
  try {
    client.subscribe(MessageReceivedDocument, { conversationId });
    await waitForSubscriptions(server, 'messageReceived', 1);
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await client.closed()).code).toBe(1001);
  } finally {
    await client.dispose();
  }
});

describeWithRedis('graceful stop with another instance running', () => {
  test('typing held by the stopping instance ends with isTyping: false on the other', async () => {
    const env = { REDIS_PREFIX: `test:${randomUUID()}:` };
    const [stopping, staying] = await Promise.all([startTestServer(env), startTestServer(env)]);
    const { ana, bo, conversationId } = await conversationPair(staying);
    const watcher = new RealtimeClient(wsUrl(staying), bo.token);
    try {
      const typing = watcher.subscribe(TypingDocument, { conversationId });
      await waitForSubscriptions(staying, 'typing', 1);
      await stopping.request(SetTypingDocument, { conversationId, isTyping: true }, ana.token);
      expect((await typing.next()).typing.isTyping).toBe(true);
      await stopping.stop();
      expect((await typing.next(1000)).typing).toEqual({ conversationId, userId: ana.id, isTyping: false });
    } finally {
      await watcher.dispose();
      await staying.stop();
    }
  });
});
