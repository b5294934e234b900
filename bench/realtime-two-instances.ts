import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { percentile } from './lib';
import { openGraphqlSubscriber, openRawSubscriber, type Subscriber } from './realtime-clients';
import { Deliveries, phaseResult, printPhase, type PhaseResult } from './realtime-deliveries';
import { referenceChannel, referenceFrame, seedPairs, sendWithRetry, startReferenceServer, startService, warmUp, type Scratch } from './realtime-service';
import { CLIENT, CONNECT_CONCURRENCY, CONTENT, IDLE_MS, LEVELS, PORT, RATE, REDIS_URL, RUN, SECONDS, SELECTION } from './realtime-settings';
import {
  cpuMeter,
  describeCpu,
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
  type NodeProcess,
} from './realtime-support';

/**
 * The two-instance phase of bench/realtime.bench.ts (its header describes it): per level of
 * BENCH_SOCKETS, inbox subscriptions on two service instances sharing PostgreSQL and Redis,
 * then the raw reference on two processes.
 */

const INBOX = `subscription Inbox { messageReceived { ${SELECTION} } }`;

export interface TwoInstanceLevel {
  sockets: number;
  graphql: PhaseResult;
  raw: PhaseResult;
}

export async function runTwoInstancePhase(scratch: Scratch): Promise<TwoInstanceLevel[]> {
  const results: TwoInstanceLevel[] = [];
  for (const sockets of LEVELS) results.push(await runLevel(sockets, scratch));
  return results;
}

async function runLevel(sockets: number, scratch: Scratch): Promise<TwoInstanceLevel> {
  const pairs = Math.floor(sockets / 2);
  const n = pairs * 2;
  const total = Math.round(RATE * SECONDS);
  console.log(`\n== two instances, ${n} subscribed sockets: ${pairs} conversations, ${n / 2} sockets per instance; inbox subscriptions; ${RATE} messages/s for ${SECONDS} s`);
  const subscribers: Subscriber[] = [];
  const closeSubscribers = () => {
    for (const s of subscribers.splice(0)) s.close();
  };
  let graphqlResult: PhaseResult;
  let rawResult: PhaseResult;

  // --- graphql-ws on two instances ---------------------------------------------------------
  const t0 = performance.now();
  const servers: NodeProcess[] = [];
  // The first start of the run migrates the scratch database; the second instance waits for it.
  if (!scratch.migrated) servers.push(await startService(PORT, scratch, true), await startService(PORT + 1, scratch, false));
  else servers.push(...(await Promise.all([startService(PORT, scratch, false), startService(PORT + 1, scratch, false)])));
  try {
    const startSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const { users, conversations } = await seedPairs(scratch, pairs);
    // User 2k lives on instance A, 2k+1 on instance B; their conversation crosses instances.
    const home = (user: number) => servers[user % 2];
    await warmUp((p) => servers[p % 2].url, users, conversations);
    const setupSeconds = (performance.now() - t1) / 1000;

    await sleep(1000);
    const rssBefore = await rssAfterGc(servers);
    const heapBefore = await heapUsed(servers.map((s) => s.url));
    const d = new Deliveries(`${RUN}-${n}`);
    const c0 = performance.now();
    await mapLimit(users, CONNECT_CONCURRENCY, async (u) => {
      const wsUrl = `${home(u.index).url.replace(/^http/, 'ws')}/graphql`;
      const subscriber = openGraphqlSubscriber(CLIENT, wsUrl, u.token, INBOX, {}, d.events(u.index));
      subscribers.push(subscriber);
      await subscriber.connected;
    });
    await waitActiveSubscriptions(
      servers.map((s) => s.url),
      n,
      () => [...d.errors, ...d.closes],
    );
    const connectSeconds = (performance.now() - c0) / 1000;
    await sleep(IDLE_MS);
    const rssAfter = await rssAfterGc(servers);
    const heapAfter = await heapUsed(servers.map((s) => s.url));
    const rssPerSocket = (rssAfter[0] + rssAfter[1] - rssBefore[0] - rssBefore[1]) / n;

    const textsBefore = await Promise.all(servers.map((s) => metricsText(s.url)));
    const cpu = cpuMeter(servers.map((s) => s.child.pid!));
    const httpLatencies: number[] = [];
    let retries = 0;
    const inFlight: Promise<void>[] = [];
    await openLoop(total, RATE, (i) => {
      const p = i % pairs;
      const sender = 2 * p + (Math.floor(i / pairs) % 2);
      const record = d.expect(i, [2 * p, 2 * p + 1], sender);
      const sending = sendWithRetry(servers[i % 2].url, users[sender], conversations[p], d.clientMessageId(i), scratch, () => (retries += 1));
      inFlight.push(
        sending.then(
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
    await Promise.all(inFlight);
    await d.drain();
    const cpuUse = cpu(total);
    const texts = await Promise.all(servers.map((s) => metricsText(s.url)));
    const serverSide = histogramQuantiles(texts, 'message_delivery_latency_seconds');
    const queries = histogramQuantiles(texts, 'db_query_duration_seconds');
    const sendOps = histogramQuantiles(texts, 'graphql_operation_duration_seconds', 'operation="Send"');
    const queriesBefore = textsBefore.reduce((sum, t) => sum + metricSum(t, 'db_query_duration_seconds_count'), 0);
    const slow = texts.reduce((sum, t) => sum + metricSum(t, 'ws_slow_consumer_disconnects_total'), 0);
    httpLatencies.sort((a, b) => a - b);

    console.log(
      `  2 servers started in ${startSeconds.toFixed(1)} s; ${n} users + ${pairs} conversations (SQL) + warm-up ${setupSeconds.toFixed(1)} s; connect + subscribe ${connectSeconds.toFixed(1)} s`,
    );
    printPhase(`graphql-ws (${CLIENT} client), 2 instances`, d, [
      `sendMessage HTTP p50 ${ms(percentile(httpLatencies, 50))}  p99 ${ms(percentile(httpLatencies, 99))} (${retries} retried after ECONNRESET);  server commit->socket write p50 ${serverSide.p50} ms  p99 ${serverSide.p99} ms (${serverSide.count} observed); slow-consumer closes ${slow}`,
      `server sendMessage p50 ${sendOps.p50} ms  p99 ${sendOps.p99} ms;  SQL queries ${((queries.count - queriesBefore) / total).toFixed(1)} per message, p50 ${queries.p50} ms  p99 ${queries.p99} ms (whole server life)`,
      `RSS per idle subscribed socket (after a full GC) ${kib(rssPerSocket)}  (A ${mib(rssBefore[0])} -> ${mib(rssAfter[0])}, B ${mib(rssBefore[1])} -> ${mib(rssAfter[1])}); V8 heap used ${kib((heapAfter - heapBefore) / n)} per socket`,
      describeCpu(cpuUse),
    ]);
    graphqlResult = phaseResult(d, rssPerSocket);
  } finally {
    closeSubscribers();
    await Promise.all(servers.map((s) => stopChild(s.child)));
  }

  // --- the raw reference: ws + ioredis, two processes ----------------------------------------
  const refs: NodeProcess[] = [];
  const publisher = new Redis(REDIS_URL, { connectionName: 'bench-ref:publisher' });
  try {
    refs.push(await startReferenceServer(PORT + 10), await startReferenceServer(PORT + 11));
    const users = Array.from({ length: n }, () => randomUUID());
    await sleep(1000);
    const rssBefore = await rssAfterGc(refs);
    const d = new Deliveries(`${RUN}-${n}-ref`);
    await mapLimit(users, CONNECT_CONCURRENCY, async (user, index) => {
      const subscriber = openRawSubscriber(refs[index % 2].url, 'user', user, d.events(index));
      subscribers.push(subscriber);
      await subscriber.connected;
    });
    await sleep(IDLE_MS);
    const rssAfter = await rssAfterGc(refs);
    const rssPerSocket = (rssAfter[0] + rssAfter[1] - rssBefore[0] - rssBefore[1]) / n;
    const cpu = cpuMeter(refs.map((r) => r.child.pid!));
    const inFlight: Promise<unknown>[] = [];
    await openLoop(total, RATE, (i) => {
      const p = i % pairs;
      const sender = 2 * p + (Math.floor(i / pairs) % 2);
      const record = d.expect(i, [2 * p, 2 * p + 1], sender);
      record.id = randomUUID();
      // The frame the GraphQL server writes for the inbox selection, built the same size.
      const frame = referenceFrame({
        id: record.id,
        clientMessageId: d.clientMessageId(i),
        conversationId: randomUUID(),
        sequence: i + 1,
        content: CONTENT,
        createdAt: new Date().toISOString(),
        sender: { id: users[sender], displayName: `Bench user ${sender}` },
      });
      for (const user of record.users) {
        inFlight.push(
          publisher.publish(referenceChannel('user', users[user]), frame).catch((error: Error) => {
            record.failed = error.message;
          }),
        );
      }
    });
    await Promise.all(inFlight);
    await d.drain();
    const cpuUse = cpu(total);
    printPhase('raw ws + ioredis reference, 2 processes', d, [
      `RSS per idle subscribed socket (after a full GC) ${kib(rssPerSocket)}  (A ${mib(rssBefore[0])} -> ${mib(rssAfter[0])}, B ${mib(rssBefore[1])} -> ${mib(rssAfter[1])})`,
      describeCpu(cpuUse),
    ]);
    rawResult = phaseResult(d, rssPerSocket);
  } finally {
    closeSubscribers();
    publisher.disconnect();
    await Promise.all(refs.map((r) => stopChild(r.child)));
  }
  const g = graphqlResult;
  const r = rawResult;
  console.log(
    `  graphql-ws vs raw: delivered/s ${((g.perSecond / r.perSecond) * 100).toFixed(0)}%,  p99 ${(g.p99 / r.p99).toFixed(1)}x (${ms(g.p99)} vs ${ms(r.p99)}),  RSS/socket ${(g.rssPerSocket / r.rssPerSocket).toFixed(1)}x`,
  );
  return { sockets: n, graphql: g, raw: r };
}

/** The two-instance rows of the final summary and their aim line. */
export function printTwoInstanceSummary(results: TwoInstanceLevel[]): void {
  console.log('\ntwo instances, inbox subscriptions');
  console.log('  sockets   graphql-ws deliv/s  p50 ms  p99 ms  lost dup  KiB/socket | raw deliv/s  p50 ms  p99 ms  lost dup  KiB/socket');
  const row = (x: PhaseResult) =>
    `${x.perSecond.toFixed(0).padStart(8)}  ${x.p50.toFixed(1).padStart(6)}  ${x.p99.toFixed(1).padStart(6)}  ${String(x.lost).padStart(4)} ${String(x.duplicates).padStart(3)}  ${(x.rssPerSocket / 1024).toFixed(1).padStart(10)}`;
  for (const { sockets, graphql: g, raw: r } of results) console.log(`  ${String(sockets).padStart(7)}   ${row(g)}          | ${row(r)}`);
  const at1000 = results.find((r) => r.sockets === 1000)?.graphql;
  const large = results.filter((r) => r.sockets >= 1000);
  const worstRss = Math.max(...large.map((r) => r.graphql.rssPerSocket));
  const nothingLost = results.every((r) => r.graphql.lost === 0 && r.graphql.duplicates === 0 && r.raw.lost === 0 && r.raw.duplicates === 0);
  console.log(
    `  aim: p99 < 50 ms at 1,000 sockets and 200 messages/s (${at1000 ? ms(at1000.p99) : 'not run'}); < 48 KiB per idle subscribed socket` +
      ` (worst at >= 1,000 sockets: ${large.length > 0 ? kib(worstRss) : 'not run'}); nothing lost or duplicated (${nothingLost ? 'yes' : 'NO'})`,
  );
}
