import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { MessageReceivedDocument, MessageReceivedLeanDocument, SendMessageDocument } from '../generated/graphql';
import { startTestServer, type Actor, type TestServer } from '../helpers/test-server';
import { RealtimeClient, conversationPair, waitUntil, wsUrl } from './realtime-helpers';

/**
 * Gapless resume, property-based: under random schedules of concurrent sends, disconnects and
 * reconnects (resuming with afterSequence = the last sequence received), every client ends
 * with the whole conversation, in order, each message exactly once. With REDIS_URL the clients
 * and senders are spread over two instances.
 */

let servers: TestServer[];

beforeAll(async () => {
  const env = { REDIS_PREFIX: `test:${randomUUID()}:`, RATE_LIMIT_MESSAGES_PER_HOUR: '100000' };
  servers = process.env.REDIS_URL ? await Promise.all([startTestServer(env), startTestServer(env)]) : [await startTestServer(env)];
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

type Step =
  | { kind: 'send'; count: number; by: 0 | 1; via: number }
  | { kind: 'disconnect'; client: number }
  | { kind: 'reconnect'; client: number; via: number }
  | { kind: 'wait'; ms: number };

const CLIENTS = 2;
const server = (index: number) => servers[index % servers.length];

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('send' as const), count: fc.integer({ min: 1, max: 4 }), by: fc.constantFrom(0 as const, 1 as const), via: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), client: fc.nat(CLIENTS - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), client: fc.nat(CLIENTS - 1), via: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 40 }) }) },
);

/** One of Bo's devices: its sequences received over every connection it made. */
class Device {
  readonly received: number[] = [];
  private client: RealtimeClient | null = null;
  private stream: { values: { messageReceived: { sequence: number } }[] } | null = null;

  constructor(
    private readonly who: Actor,
    private readonly conversationId: string,
  ) {}

  get connected(): boolean {
    return this.client !== null;
  }

  connect(via: number): void {
    if (this.client) return;
    const afterSequence = this.received.at(-1) ?? 0;
    this.client = new RealtimeClient(wsUrl(server(via)), this.who.token);
    this.stream = this.client.subscribe(MessageReceivedLeanDocument, { conversationId: this.conversationId, afterSequence });
  }

  async disconnect(): Promise<void> {
    if (!this.client) return;
    const { client, stream } = this;
    this.client = null;
    await client.dispose();
    this.received.push(...stream!.values.map((v) => v.messageReceived.sequence));
  }

  /** Everything received so far, including the open connection. */
  all(): number[] {
    return [...this.received, ...(this.stream && this.client ? this.stream.values.map((v) => v.messageReceived.sequence) : [])];
  }
}

test('every client ends with the full ordered list exactly once, whatever the schedule', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArbitrary, { minLength: 3, maxLength: 14 }), async (steps) => {
      const { ana, bo, conversationId } = await conversationPair(server(0));
      const devices = Array.from({ length: CLIENTS }, () => new Device(bo, conversationId));
      devices.forEach((device, i) => device.connect(i));
      const sends: Promise<unknown>[] = [];
      let sent = 0;
      try {
        for (const step of steps) {
          if (step.kind === 'send') {
            for (let i = 0; i < step.count; i += 1) {
              sent += 1;
              const sender = step.by === 0 ? ana : bo;
              const content = `m${sent}`;
              sends.push(server(step.via).request(SendMessageDocument, { input: { conversationId, content } }, sender.token));
            }
          } else if (step.kind === 'disconnect') {
            await devices[step.client].disconnect();
          } else if (step.kind === 'reconnect') {
            devices[step.client].connect(step.via);
          } else {
            await new Promise((resolve) => setTimeout(resolve, step.ms));
          }
        }
        const results = (await Promise.all(sends)) as { errors?: unknown }[];
        expect(results.filter((r) => r.errors)).toEqual([]);
        devices.forEach((device, i) => device.connect(i));
        const expected = Array.from({ length: sent }, (_, i) => i + 1);
        for (const device of devices) {
          await waitUntil(() => device.all().length >= sent, `a device to have all ${sent} messages (has ${device.all().length})`, 5000);
          expect(device.all()).toEqual(expected);
        }
      } finally {
        await Promise.all(devices.map((device) => device.disconnect()));
      }
    }),
    { numRuns: 15 },
  );
}, 60_000);

test('the replayed messages carry the stored fields, the live ones too', async () => {
  const { ana, bo, conversationId } = await conversationPair(server(0));
  const first = await server(0).request(SendMessageDocument, { input: { conversationId, content: 'stored' } }, ana.token);
  const client = new RealtimeClient(wsUrl(server(1)), bo.token);
  try {
    const stream = client.subscribe(MessageReceivedDocument, { conversationId, afterSequence: 0 });
    await stream.count(1);
    const second = await server(0).request(SendMessageDocument, { input: { conversationId, content: 'live' } }, ana.token);
    await stream.count(2);
    expect(stream.values.map((v) => v.messageReceived)).toEqual([first.data!.sendMessage, second.data!.sendMessage]);
  } finally {
    await client.dispose();
  }
});
