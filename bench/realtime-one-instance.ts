import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { percentile } from './lib';
import { openGraphqlSubscriber, openRawSubscriber, type Subscriber } from './realtime-clients';
import { Deliveries, DeliverySwitch } from './realtime-deliveries';
import { referenceChannel, referenceFrame, seedPairs, sendWithRetry, startReferenceServer, startService, warmUp, type BenchUser, type Scratch } from './realtime-service';
import { CONNECT_CONCURRENCY, CONTENT, IDLE_MS, PORT, REDIS_URL, RUN, SINGLE_SELECTION } from './realtime-settings';
import {
  cpuMeter,
  heapUsed,
  histogramQuantiles,
  kib,
  mapLimit,
  metricSum,
  metricsText,
  mib,
  ms,
  openLoop,
  rssAfterGc,
  sleep,
  stopChild,
  waitActiveSubscriptions,
  type CpuUse,
  type NodeProcess,
} from './realtime-support';

/**
 * One process, many subscribed sockets, for the single and sustained phases of
 * bench/realtime.bench.ts (their header describes them): a session holds the process and its
 * sockets, already subscribed and measured idle; a run sends at one rate for a while on it and
 * checks every delivery. Users 2p and 2p+1 share conversation p, and each subscribes to
 * `messageReceived(conversationId: p)` (the reference: to conversation p's channel), so each
 * message must arrive exactly once at both of its participants' sockets.
 */

const CONVERSATION = `subscription Conversation($id: ID!) { messageReceived(conversationId: $id) { ${SINGLE_SELECTION} } }`;

export interface Session {
  /** "service" or "raw": names the session's runs in printouts. */
  readonly name: string;
  readonly sockets: number;
  /** What the setup took and measured, for the printout. */
  readonly setupLine: string;
  readonly memoryLine: string;
  readonly rssPerSocket: number;
  /** Sends `rate` messages/s for `seconds` (open loop), waits for every delivery (or the drain) and reports. */
  run(rate: number, seconds: number): Promise<RunResult>;
  close(): Promise<void>;
}

export interface RunResult {
  d: Deliveries;
  summary: ReturnType<Deliveries['summary']>;
  cpu: CpuUse;
  /** Messages issued per second by the open loop (below the rate asked when the bench fell behind). */
  issuedPerSecond: number;
  /** sendMessage over HTTP (service only). */
  http?: { p50: number; p99: number; retries: number };
  /** Details for a printout: HTTP and server-side latencies, SQL. */
  details: string[];
}

/** Runs of one session are numbered, so that a late delivery of one run is never taken for one of the next. */
let runs = 0;

/** Moves what the sockets reported between runs into the run starting now (a socket closed meanwhile is that run's fault). */
function startRun(sw: DeliverySwitch, d: Deliveries): void {
  d.errors.push(...sw.between.splice(0));
  sw.current = d;
}

// ---------------------------------------------------------------------------------------------
// The service: one src/main.ts process, graphql-ws's own client per socket.

export async function openServiceSession(scratch: Scratch, sockets: number): Promise<Session> {
  const pairs = Math.floor(sockets / 2);
  const n = pairs * 2;
  const t0 = performance.now();
  const server = await startService(PORT, scratch, !scratch.migrated);
  const subscribers: Subscriber[] = [];
  const close = async () => {
    for (const s of subscribers.splice(0)) s.close();
    await stopChild(server.child);
  };
  try {
    const startSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const { users, conversations } = await seedPairs(scratch, pairs);
    await warmUp(() => server.url, users, conversations);
    const setupSeconds = (performance.now() - t1) / 1000;

    await sleep(1000);
    const [rssBefore] = await rssAfterGc([server]);
    const heapBefore = await heapUsed([server.url]);
    const sw = new DeliverySwitch();
    const c0 = performance.now();
    const wsUrl = `${server.url.replace(/^http/, 'ws')}/graphql`;
    await mapLimit(users, CONNECT_CONCURRENCY, async (u) => {
      const subscriber = openGraphqlSubscriber('graphql-ws', wsUrl, u.token, CONVERSATION, { id: conversations[Math.floor(u.index / 2)] }, sw.events(u.index));
      subscribers.push(subscriber);
      await subscriber.connected;
    });
    await waitActiveSubscriptions([server.url], n, () => sw.between);
    const connectSeconds = (performance.now() - c0) / 1000;
    await sleep(IDLE_MS);
    const [rssAfter] = await rssAfterGc([server]);
    const heapAfter = await heapUsed([server.url]);
    const rssPerSocket = (rssAfter - rssBefore) / n;
    return {
      name: 'service',
      sockets: n,
      setupLine: `server started in ${startSeconds.toFixed(1)} s; ${n} users + ${pairs} conversations (SQL) + warm-up ${setupSeconds.toFixed(1)} s; connect + subscribe ${connectSeconds.toFixed(1)} s`,
      memoryLine: `RSS per idle subscribed socket (after a full GC) ${kib(rssPerSocket)}  (${mib(rssBefore)} -> ${mib(rssAfter)}); V8 heap used ${kib((heapAfter - heapBefore) / n)} per socket`,
      rssPerSocket,
      run: (rate, seconds) => serviceRun(server, scratch, users, conversations, sw, rate, seconds),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function serviceRun(
  server: NodeProcess,
  scratch: Scratch,
  users: BenchUser[],
  conversations: string[],
  sw: DeliverySwitch,
  rate: number,
  seconds: number,
): Promise<RunResult> {
  const pairs = conversations.length;
  const total = Math.round(rate * seconds);
  const d = new Deliveries(`${RUN}-one-${(runs += 1)}`);
  startRun(sw, d);
  const textsBefore = [await metricsText(server.url)];
  const cpu = cpuMeter([server.child.pid!]);
  const httpLatencies: number[] = [];
  let retries = 0;
  const inFlight: Promise<void>[] = [];
  const l0 = performance.now();
  await openLoop(total, rate, (i) => {
    const p = i % pairs;
    const sender = 2 * p + (Math.floor(i / pairs) % 2);
    const record = d.expect(i, [2 * p, 2 * p + 1], sender);
    inFlight.push(
      sendWithRetry(server.url, users[sender], conversations[p], d.clientMessageId(i), scratch, () => (retries += 1)).then(
        (id) => {
          httpLatencies.push(performance.now() - record.t0);
          record.id = id;
        },
        (error: Error) => {
          record.failed = error.message;
        },
      ),
    );
  });
  const issuedPerSecond = total / ((performance.now() - l0) / 1000);
  await Promise.all(inFlight);
  await d.drain();
  const cpuUse = cpu(total);
  sw.current = null;
  const texts = [await metricsText(server.url)];
  const serverSide = histogramQuantiles(texts, 'message_delivery_latency_seconds', '', textsBefore);
  const queries = histogramQuantiles(texts, 'db_query_duration_seconds', '', textsBefore);
  const sendOps = histogramQuantiles(texts, 'graphql_operation_duration_seconds', 'operation="Send"', textsBefore);
  const slow = metricSum(texts[0], 'ws_slow_consumer_disconnects_total') - metricSum(textsBefore[0], 'ws_slow_consumer_disconnects_total');
  httpLatencies.sort((a, b) => a - b);
  const http = { p50: percentile(httpLatencies, 50), p99: percentile(httpLatencies, 99), retries };
  return {
    d,
    summary: d.summary(),
    cpu: cpuUse,
    issuedPerSecond,
    http,
    details: [
      `sendMessage HTTP p50 ${ms(http.p50)}  p99 ${ms(http.p99)} (${retries} retried after ECONNRESET);  server commit->socket write p50 ${serverSide.p50} ms  p99 ${serverSide.p99} ms (${serverSide.count} observed); slow-consumer closes ${slow}`,
      `server sendMessage p50 ${sendOps.p50} ms  p99 ${sendOps.p99} ms;  SQL queries ${(queries.count / total).toFixed(1)} per message, p50 ${queries.p50} ms  p99 ${queries.p99} ms`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// The raw reference: one bench/realtime-reference-server.ts process; this process PUBLISHes.

export async function openReferenceSession(sockets: number): Promise<Session> {
  const pairs = Math.floor(sockets / 2);
  const n = pairs * 2;
  const t0 = performance.now();
  const ref = await startReferenceServer(PORT + 10);
  const publisher = new Redis(REDIS_URL, { connectionName: 'bench-ref:publisher' });
  const subscribers: Subscriber[] = [];
  const close = async () => {
    for (const s of subscribers.splice(0)) s.close();
    publisher.disconnect();
    await stopChild(ref.child);
  };
  try {
    const startSeconds = (performance.now() - t0) / 1000;
    const users = Array.from({ length: n }, () => randomUUID());
    const conversations = Array.from({ length: pairs }, () => randomUUID());
    await sleep(1000);
    const [rssBefore] = await rssAfterGc([ref]);
    const sw = new DeliverySwitch();
    const c0 = performance.now();
    await mapLimit(users, CONNECT_CONCURRENCY, async (_user, index) => {
      const subscriber = openRawSubscriber(ref.url, 'conversation', conversations[Math.floor(index / 2)], sw.events(index));
      subscribers.push(subscriber);
      await subscriber.connected;
    });
    const connectSeconds = (performance.now() - c0) / 1000;
    await sleep(IDLE_MS);
    const [rssAfter] = await rssAfterGc([ref]);
    const rssPerSocket = (rssAfter - rssBefore) / n;
    return {
      name: 'raw',
      sockets: n,
      setupLine: `reference started in ${startSeconds.toFixed(1)} s; connect + subscribe ${n} sockets to ${pairs} conversation channels ${connectSeconds.toFixed(1)} s`,
      memoryLine: `RSS per idle subscribed socket (after a full GC) ${kib(rssPerSocket)}  (${mib(rssBefore)} -> ${mib(rssAfter)})`,
      rssPerSocket,
      run: (rate, seconds) => referenceRun(ref, publisher, users, conversations, sw, rate, seconds),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function referenceRun(
  ref: NodeProcess,
  publisher: Redis,
  users: string[],
  conversations: string[],
  sw: DeliverySwitch,
  rate: number,
  seconds: number,
): Promise<RunResult> {
  const pairs = conversations.length;
  const total = Math.round(rate * seconds);
  const d = new Deliveries(`${RUN}-ref-${(runs += 1)}`);
  startRun(sw, d);
  const cpu = cpuMeter([ref.child.pid!]);
  const inFlight: Promise<unknown>[] = [];
  const l0 = performance.now();
  await openLoop(total, rate, (i) => {
    const p = i % pairs;
    const sender = 2 * p + (Math.floor(i / pairs) % 2);
    const record = d.expect(i, [2 * p, 2 * p + 1], sender);
    record.id = randomUUID();
    // The frame the GraphQL server writes for the conversation selection, built the same size;
    // one PUBLISH per message to the conversation's channel, as the service publishes.
    const frame = referenceFrame({
      id: record.id,
      conversationId: conversations[p],
      sequence: i + 1,
      type: 'TEXT',
      content: CONTENT,
      clientMessageId: d.clientMessageId(i),
      createdAt: new Date().toISOString(),
      sender: { id: users[sender], displayName: `Bench user ${sender}`, avatarUrl: null },
    });
    inFlight.push(
      publisher.publish(referenceChannel('conversation', conversations[p]), frame).catch((error: Error) => {
        record.failed = error.message;
      }),
    );
  });
  const issuedPerSecond = total / ((performance.now() - l0) / 1000);
  await Promise.all(inFlight);
  await d.drain();
  const cpuUse = cpu(total);
  sw.current = null;
  return { d, summary: d.summary(), cpu: cpuUse, issuedPerSecond, details: [] };
}
