import { printPhase, printProblems } from './realtime-deliveries';
import { openReferenceSession, openServiceSession, type RunResult, type Session } from './realtime-one-instance';
import type { Scratch } from './realtime-service';
import { RATE, SINGLE_SECONDS, SINGLE_SOCKETS, SINGLE_SELECTION, STEP_P99_LIMIT_MS, STEP_RATES, STEP_SECONDS } from './realtime-settings';
import { describeCpu, kib, ms, pct, sleep } from './realtime-support';

/**
 * The single and sustained phases of bench/realtime.bench.ts (its header describes them): on
 * one service process with SINGLE_SOCKETS conversation subscriptions, one run at RATE for
 * SINGLE_SECONDS against the aims, then the sending rate stepped up until it no longer holds;
 * then the same on one raw reference process.
 */

const AIM = { p50: 10, p99: 50, kibPerSocket: 48 };
/** Unmeasured sending at BENCH_RATE once a session is open, before its first measured run. */
const WARM_UP_SECONDS = 2;
/** Below this share of the rate asked, the bench itself could not keep up and the step does not count as held. */
const ISSUE_SHARE = 0.9;

interface Step {
  rate: number;
  result: RunResult;
  /** Why it did not hold; empty when it held. */
  misses: string[];
}

interface SingleResult {
  service: RunResult;
  serviceRss: number;
  raw?: RunResult;
  rawRss?: number;
}

export interface OneInstanceResults {
  sockets: number;
  single?: SingleResult;
  sustained?: { service: Step[]; raw: Step[] };
}

export async function runOneInstancePhases(scratch: Scratch, phases: { single: boolean; sustained: boolean }): Promise<OneInstanceResults> {
  const results: OneInstanceResults = { sockets: Math.floor(SINGLE_SOCKETS / 2) * 2 };
  let single: SingleResult | undefined;
  let serviceSteps: Step[] = [];
  const n = results.sockets;
  const plan = [phases.single ? `single: ${RATE} messages/s for ${SINGLE_SECONDS} s` : '', phases.sustained ? `sustained: ${STEP_RATES.join(', ')} messages/s, ${STEP_SECONDS} s each` : '']
    .filter(Boolean)
    .join('; ');

  console.log(`\n== one instance: ${n} graphql-ws sockets (graphql-ws's client), ${n / 2} conversations, both participants on messageReceived(conversationId); ${plan}`);
  console.log(`   each process gets ${WARM_UP_SECONDS} s of unmeasured sends at ${RATE}/s before its first measured run (service and reference alike)`);
  console.log(`   selection: ${SINGLE_SELECTION}`);
  await withSession(openServiceSession(scratch, n), async (session) => {
    if (phases.single) {
      const run = await session.run(RATE, SINGLE_SECONDS);
      single = { service: run, serviceRss: session.rssPerSocket };
      printPhase('single: service, 1 instance', run.d, [...run.details, describeCpu(run.cpu)]);
      printSingleAims(single);
    }
    if (phases.sustained) serviceSteps = await stepUp(session, 'sustained: service, 1 instance');
  });

  console.log(`\n== one instance, raw ws + ioredis reference: ${n} sockets on ${n / 2} conversation channels, one PUBLISH per message from this process`);
  await withSession(openReferenceSession(n), async (session) => {
    if (phases.single && single) {
      const run = await session.run(RATE, SINGLE_SECONDS);
      single.raw = run;
      single.rawRss = session.rssPerSocket;
      printPhase('single: raw reference, 1 process', run.d, [describeCpu(run.cpu)]);
      const g = single.service.summary;
      const r = run.summary;
      console.log(
        `  single, service vs raw: p50 ${ms(g.p50)} vs ${ms(r.p50)} (${(g.p50 / r.p50).toFixed(1)}x),  p99 ${ms(g.p99)} vs ${ms(r.p99)} (${(g.p99 / r.p99).toFixed(1)}x),` +
          `  RSS/socket ${kib(single.serviceRss)} vs ${kib(session.rssPerSocket)} (${(single.serviceRss / session.rssPerSocket).toFixed(1)}x)`,
      );
    }
    if (phases.sustained) {
      const rawSteps = await stepUp(session, 'sustained: raw reference, 1 process');
      results.sustained = { service: serviceSteps, raw: rawSteps };
      console.log(`  ${sustainedLine(results.sustained.service, rawSteps)}`);
    }
  });
  results.single = single;
  return results;
}

async function withSession(opening: Promise<Session>, use: (session: Session) => Promise<void>): Promise<void> {
  const session = await opening;
  try {
    console.log(`  ${session.setupLine}`);
    console.log(`  ${session.memoryLine}`);
    await warmUpRun(session);
    await use(session);
  } finally {
    await session.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Single: one rate against the aims.

/**
 * Sends at BENCH_RATE for {@link WARM_UP_SECONDS}, not measured, so that the first measured run
 * starts on a warm process (JIT, pools, the sockets' paths), as a server in service is; a fault
 * there is reported all the same.
 */
async function warmUpRun(session: Session): Promise<void> {
  const { d } = await session.run(RATE, WARM_UP_SECONDS);
  if (d.faults > 0) {
    console.log(`  ! warm-up (${RATE}/s for ${WARM_UP_SECONDS} s): lost ${d.lost}, duplicated ${d.duplicates}, other faults ${d.faults - d.lost - d.duplicates}`);
    printProblems(d, '    ');
  }
}

function singleAims(s: SingleResult): string[] {
  const { p50, p99 } = s.service.summary;
  const d = s.service.d;
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  const clean = d.lost === 0 && d.duplicates === 0 && d.faults === 0;
  return [
    `p50 <= ${AIM.p50} ms: ${ms(p50)} ${verdict(p50 <= AIM.p50)}`,
    `p99 <= ${AIM.p99} ms: ${ms(p99)} ${verdict(p99 <= AIM.p99)}`,
    `0 lost/dup: ${d.lost}/${d.duplicates} (other faults ${d.faults - d.lost - d.duplicates}) ${verdict(clean)}`,
    `<= ${AIM.kibPerSocket} KiB/socket: ${kib(s.serviceRss)} ${verdict(s.serviceRss <= AIM.kibPerSocket * 1024)}`,
  ];
}

function printSingleAims(s: SingleResult, indent = '  '): void {
  const note = SINGLE_SOCKETS === 1000 && RATE === 200 ? '' : ` (the aims are set for 1,000 sockets at 200/s)`;
  console.log(`${indent}aim, one instance, ${RATE}/s for ${SINGLE_SECONDS} s to ${Math.floor(SINGLE_SOCKETS / 2) * 2} sockets${note}: ${singleAims(s).join(';  ')}`);
}

// ---------------------------------------------------------------------------------------------
// Sustained: step the rate up until a step does not hold.

async function stepUp(session: Session, title: string): Promise<Step[]> {
  console.log(`  ${title}: steps of ${STEP_SECONDS} s; a step holds with delivery p99 <= ${STEP_P99_LIMIT_MS} ms and nothing lost, duplicated or failed`);
  console.log('     rate/s  issued/s  deliv/s  p50 ms  p99 ms  max ms  lost  dup  other  HTTP p99 |  CPU: server  PG  Redis  bench  others  machine');
  const steps: Step[] = [];
  for (const rate of STEP_RATES) {
    const result = await session.run(rate, STEP_SECONDS);
    const step: Step = { rate, result, misses: misses(rate, result) };
    steps.push(step);
    printStep(step);
    if (step.misses.length > 0) {
      printProblems(result.d, '       ');
      break;
    }
    await sleep(1000);
  }
  return steps;
}

function misses(rate: number, r: RunResult): string[] {
  const d = r.d;
  const out: string[] = [];
  if (!(r.summary.p99 <= STEP_P99_LIMIT_MS)) out.push(`p99 ${ms(r.summary.p99)} > ${STEP_P99_LIMIT_MS} ms`);
  if (d.lost > 0) out.push(`${d.lost} lost`);
  if (d.duplicates > 0) out.push(`${d.duplicates} duplicated`);
  const other = d.faults - d.lost - d.duplicates;
  if (other > 0) out.push(`${other} other faults (failed sends, errors, closes, unexpected)`);
  if (r.issuedPerSecond < rate * ISSUE_SHARE) out.push(`the bench issued only ${r.issuedPerSecond.toFixed(0)}/s`);
  return out;
}

function printStep({ rate, result: r, misses: why }: Step): void {
  const d = r.d;
  const s = r.summary;
  const num = (x: number, width: number, digits = 1) => x.toFixed(digits).padStart(width);
  const c = r.cpu;
  console.log(
    `    ${String(rate).padStart(7)}  ${num(r.issuedPerSecond, 8, 0)}  ${num(s.perSecond, 7, 0)}  ${num(s.p50, 6)}  ${num(s.p99, 6)}  ${num(s.max, 6)}` +
      `  ${String(d.lost).padStart(4)}  ${String(d.duplicates).padStart(3)}  ${String(d.faults - d.lost - d.duplicates).padStart(5)}` +
      `  ${(r.http ? num(r.http.p99, 8) : '-'.padStart(8))} |  ${pct(c.servers[0]).padStart(10)}  ${pct(c.postgres).padStart(3)}  ${pct(c.redis).padStart(5)}  ${pct(c.bench).padStart(5)}  ${pct(c.others).padStart(6)}  ${pct(c.machine).padStart(7)}` +
      `  ${why.length === 0 ? 'held' : `MISS: ${why.join(', ')}`}`,
  );
}

/** The highest rate that held (0: none), and whether it was the last step offered (the real limit is then higher). */
function highestHeld(steps: Step[]): { rate: number; atTop: boolean } {
  const held = steps.filter((s) => s.misses.length === 0);
  const rate = held.length > 0 ? Math.max(...held.map((s) => s.rate)) : 0;
  return { rate, atTop: rate === STEP_RATES[STEP_RATES.length - 1] };
}

function sustainedLine(service: Step[], raw: Step[]): string {
  const g = highestHeld(service);
  const r = highestHeld(raw);
  const show = (h: { rate: number; atTop: boolean }) => (h.rate === 0 ? `none (${STEP_RATES[0]}/s already missed)` : `${h.atTop ? '>= ' : ''}${h.rate}/s`);
  let ratio: string;
  if (r.rate === 0) ratio = 'n/a';
  else if (g.rate === 0) ratio = `< ${(STEP_RATES[0] / r.rate).toFixed(2)}`;
  else if (g.atTop && r.atTop) ratio = 'n/a (both held every step: add higher BENCH_STEP_RATES)';
  else ratio = `${g.atTop ? '>= ' : r.atTop ? '<= ' : ''}${(g.rate / r.rate).toFixed(2)}`;
  return `sustained, highest rate with p99 <= ${STEP_P99_LIMIT_MS} ms and nothing lost: service ${show(g)}, raw reference ${show(r)}; service/raw ${ratio}`;
}

/** The one-instance lines of the final summary. */
export function printOneInstanceSummary(results: OneInstanceResults): void {
  console.log(`\none instance, ${results.sockets} conversation subscriptions (graphql-ws client)`);
  const s = results.single;
  if (s) {
    const row = (name: string, r: RunResult, rss: number) =>
      `  ${name.padEnd(8)} ${r.summary.perSecond.toFixed(0).padStart(7)} deliv/s  p50 ${ms(r.summary.p50)}  p99 ${ms(r.summary.p99)}  lost ${r.d.lost}  dup ${r.d.duplicates}  other ${r.d.faults - r.d.lost - r.d.duplicates}  ${kib(rss)}/socket`;
    console.log(row('service', s.service, s.serviceRss));
    if (s.raw) console.log(row('raw', s.raw, s.rawRss!));
    printSingleAims(s);
  }
  if (results.sustained) console.log(`  ${sustainedLine(results.sustained.service, results.sustained.raw)}`);
}
