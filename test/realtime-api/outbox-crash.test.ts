import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { Client } from 'pg';
import type { ServerProcess } from '../../bench/lib';
import { startChildServer } from '../helpers/child-server';
import { MessageReceivedDocument, SendMessageDocument } from '../generated/graphql';
import { startTestServer, type TestServer } from '../helpers/test-server';
import { RealtimeClient, conversationPair, describeWithRedis, metricValue, sleep, waitForSubscriptions, waitUntil, wsUrl } from './realtime-helpers';

/**
 * An instance that dies between the commit of a message and its publish (the test hook
 * TEST_CRASH_AFTER_COMMIT SIGKILLs it right there) must not take the message's announcement
 * with it: the outbox relay of another instance publishes it once the lease runs out, the
 * push decision is taken, subscribers get it exactly once, and the client's retry with the same
 * key answers the stored message.
 */

const OUTBOX = { OUTBOX_LEASE_MS: '400', OUTBOX_SWEEP_MS: '100' };

/** POSTs a GraphQL operation; answers null when the connection dies before an answer. */
async function postOrNull(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<unknown> {
  try {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return await response.json();
  } catch {
    return null;
  }
}

describeWithRedis('a crash between commit and publish', () => {
  let survivor: TestServer;
  let doomed: ServerProcess;
  let db: Client;
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    const prefix = `test:${randomUUID()}:`;
    survivor = await startTestServer({ ...OUTBOX, REDIS_PREFIX: prefix });
    doomed = await startChildServer('outbox-child', {
      ...OUTBOX,
      NODE_ENV: 'test',
      TEST_CRASH_AFTER_COMMIT: 'true',
      REDIS_PREFIX: prefix,
    });
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    if (doomed?.child.exitCode === null && doomed.child.signalCode === null) await doomed.stop();
    await survivor?.stop();
    await db?.end();
  });

  test('the relay publishes and pushes the message once; the retry answers it', async () => {
    const { ana, bo, conversationId } = await conversationPair(survivor);
    const watcher = new RealtimeClient(wsUrl(survivor), bo.token);
    clients.push(watcher);
    const thread = watcher.subscribe(MessageReceivedDocument, { conversationId });
    const inbox = watcher.subscribe(MessageReceivedDocument, {});
    await waitForSubscriptions(survivor, 'messageReceived', 2);
    const pushDecisionsBefore = await metricValue(survivor, 'push_notifications_total', { type: 'NEW_MESSAGE' });

    const input = { conversationId, content: 'sent just before the crash', clientMessageId: randomUUID() };
    const answer = await postOrNull(doomed.url, ana.token, print(SendMessageDocument), { input });
    expect(answer).toBeNull(); // the instance died before answering
    await waitUntil(() => doomed.child.signalCode === 'SIGKILL', 'the instance to die');
    const [stored] = (await db.query<{ id: string }>('select id from messages where conversation_id = $1 and client_message_id = $2', [conversationId, input.clientMessageId])).rows;
    expect(stored).toBeDefined();

    const [live, fromInbox] = await Promise.all([thread.next(5000), inbox.next(5000)]);
    expect(live.messageReceived).toMatchObject({ id: stored.id, sequence: 1, content: input.content, sender: { id: ana.id, displayName: 'Ana' } });
    expect(fromInbox.messageReceived.id).toBe(stored.id);
    await waitUntil(
      async () => (await metricValue(survivor, 'push_notifications_total', { type: 'NEW_MESSAGE' })) === pushDecisionsBefore + 1,
      'the push decision of the relayed message',
    );

    const retry = await survivor.request(SendMessageDocument, { input }, ana.token);
    expect(retry.data!.sendMessage.id).toBe(stored.id);

    await waitUntil(async () => (await db.query('select 1 from outbox where message_id = $1', [stored.id])).rowCount === 0, 'the outbox row to be acknowledged');
    await sleep(600); // longer than a lease: a second relay publish would have arrived by now
    expect(thread.values).toHaveLength(1);
    expect(inbox.values).toHaveLength(1);
  }, 30_000);
});
