import { ArchiveConversationDocument, ConversationEventsDocument, UnarchiveConversationDocument } from '../generated/graphql';
import { ConversationService } from '../../src/services/conversation.service';
import { conversationPair, startTestServer, type TestServer } from '../helpers/test-server';
import { RealtimeClient, waitForSubscriptions, wsUrl, type Stream } from '../realtime-api/realtime-helpers';

/**
 * Attack 2 (docs/reliability.md): many identical subscriptions of one user multiplied the cost
 * of each event (20 sockets x 100 `conversationEvent` subscriptions: 2,000 conversation
 * lookups per archive). Identical subscriptions of a user share one resolution per event on an
 * instance, and a user's subscriptions are capped over all their sockets.
 */

const SOCKETS = 3;
const PER_SOCKET = 10;

describe('identical subscriptions share one resolution per event', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  test(`${SOCKETS} sockets x ${PER_SOCKET} conversationEvent subscriptions: every one gets the event, resolved once`, async () => {
    const { ana, conversationId } = await conversationPair(server);
    const clients = Array.from({ length: SOCKETS }, () => new RealtimeClient(wsUrl(server), ana.token));
    try {
      const streams: Stream<unknown>[] = clients.flatMap((client) => Array.from({ length: PER_SOCKET }, () => client.subscribe(ConversationEventsDocument, {})));
      await waitForSubscriptions(server, 'conversationEvent', SOCKETS * PER_SOCKET);
      const lookups = jest.spyOn(ConversationService.prototype, 'getForViewer');
      try {
        const archived = await server.request(ArchiveConversationDocument, { id: conversationId }, ana.token);
        expect(archived.errors).toBeUndefined();
        await Promise.all(streams.map((stream) => stream.count(1)));
        const resolutions = lookups.mock.calls.filter(([, viewerId, id]) => viewerId === ana.id && id === conversationId).length;
        // One for the mutation itself, one for the 30 subscriptions together.
        expect(resolutions).toBeLessThanOrEqual(2);
      } finally {
        lookups.mockRestore();
      }
      for (const stream of streams) expect(stream.values[0]).toMatchObject({ conversationEvent: { kind: 'ARCHIVED', conversation: { id: conversationId } } });

      // A subscription that leaves does not end the others.
      streams[0].stop();
      await server.request(UnarchiveConversationDocument, { id: conversationId }, ana.token);
      await Promise.all(streams.slice(1).map((stream) => stream.count(2)));
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
    }
  });
});

describe('subscriptions per user are capped over all sockets', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ WS_MAX_SUBSCRIPTIONS_PER_USER: '5', WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '100' });
  });
  afterAll(() => server.stop());

  test('the 6th subscription of a user, on a third socket, is refused with TOO_MANY_SUBSCRIPTIONS', async () => {
    const { ana, bo } = await conversationPair(server);
    const clients = Array.from({ length: 3 }, () => new RealtimeClient(wsUrl(server), ana.token));
    const other = new RealtimeClient(wsUrl(server), bo.token);
    try {
      const admitted = [0, 0, 1, 1, 2].map((index) => clients[index].subscribe(ConversationEventsDocument, {}));
      await waitForSubscriptions(server, 'conversationEvent', 5);
      const refused = clients[2].subscribe(ConversationEventsDocument, {});
      expect(await refused.errorCodes()).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors[0].extensions?.reason).toBe('TOO_MANY_SUBSCRIPTIONS');
      // Another user is not affected, and a subscription that ends frees its place.
      other.subscribe(ConversationEventsDocument, {});
      await waitForSubscriptions(server, 'conversationEvent', 6);
      admitted[0].stop();
      await new Promise((resolve) => setTimeout(resolve, 100));
      clients[2].subscribe(ConversationEventsDocument, {});
      await waitForSubscriptions(server, 'conversationEvent', 6);
    } finally {
      await Promise.all([...clients, other].map((client) => client.dispose()));
    }
  });
});
