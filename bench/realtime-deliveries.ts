import { percentile } from './lib';
import type { SubscriberEvents } from './realtime-clients';
import { DRAIN_MS } from './realtime-settings';
import { ms, sleep } from './realtime-support';

/**
 * The bookkeeping of bench/realtime.bench.ts: every message sent in a run and every delivery
 * that arrived, checked one by one (each message must reach both participants exactly once).
 */

interface Sent {
  t0: number;
  /** The two users who must receive it (indexes). */
  users: [number, number];
  sender: number;
  got: [number, number];
  id?: string;
  receivedIds: string[];
  failed?: string;
}

export class Deliveries {
  readonly sent: Sent[] = [];
  readonly latencies: number[] = [];
  /** Latencies of deliveries to the other participant only (not the sender's own socket). */
  readonly recipientLatencies: number[] = [];
  duplicates = 0;
  unexpected = 0;
  misrouted = 0;
  delivered = 0;
  firstSendAt = Infinity;
  lastArrivalAt = 0;
  readonly errors: string[] = [];
  readonly closes: string[] = [];

  constructor(private readonly tag: string) {}

  clientMessageId(i: number): string {
    return `${this.tag}-${i}`;
  }

  expect(i: number, users: [number, number], sender: number): Sent {
    const record: Sent = { t0: performance.now(), users, sender, got: [0, 0], receivedIds: [] };
    this.firstSendAt = Math.min(this.firstSendAt, record.t0);
    this.sent[i] = record;
    return record;
  }

  events(user: number): SubscriberEvents {
    return {
      onData: (data, arrivedAt) => this.receive(user, data, arrivedAt),
      onError: (message) => this.errors.push(`user ${user}: ${message}`),
      onClose: (code, reason) => this.closes.push(`user ${user}: ${code} ${reason}`),
    };
  }

  receive(user: number, data: unknown, arrivedAt: number): void {
    const message = (data as { messageReceived?: { id: string; clientMessageId: string | null } }).messageReceived;
    const key = message?.clientMessageId ?? '';
    const record = key.startsWith(`${this.tag}-`) ? this.sent[Number(key.slice(this.tag.length + 1))] : undefined;
    if (!message || !record) {
      this.unexpected += 1;
      return;
    }
    if (record.users[0] !== user && record.users[1] !== user) {
      this.misrouted += 1;
      return;
    }
    const side = record.users[0] === user ? 0 : 1;
    record.got[side] += 1;
    record.receivedIds.push(message.id);
    if (record.got[side] > 1) {
      this.duplicates += 1;
      return;
    }
    this.delivered += 1;
    this.lastArrivalAt = Math.max(this.lastArrivalAt, arrivedAt);
    const latency = arrivedAt - record.t0;
    this.latencies.push(latency);
    if (record.users[side] !== record.sender) this.recipientLatencies.push(latency);
  }

  get expected(): number {
    return this.sent.filter((s) => s && !s.failed).length * 2;
  }

  get sendErrors(): number {
    return this.sent.filter((s) => s?.failed).length;
  }

  get lost(): number {
    let lost = 0;
    for (const s of this.sent) if (s && !s.failed) lost += (s.got[0] === 0 ? 1 : 0) + (s.got[1] === 0 ? 1 : 0);
    return lost;
  }

  /** Deliveries whose message id differs from the id sendMessage answered. */
  get wrongIds(): number {
    return this.sent.filter((s) => s?.id && s.receivedIds.some((id) => id !== s.id)).length;
  }

  /** Anything but a clean run: lost, duplicated, unexpected or misrouted deliveries, wrong ids, failed sends, errors, closes. */
  get faults(): number {
    return this.lost + this.duplicates + this.unexpected + this.misrouted + this.wrongIds + this.sendErrors + this.errors.length + this.closes.length;
  }

  async drain(): Promise<void> {
    const deadline = Date.now() + DRAIN_MS;
    while (this.lost > 0 && Date.now() < deadline) await sleep(20);
  }

  summary() {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const recipient = [...this.recipientLatencies].sort((a, b) => a - b);
    const seconds = (this.lastArrivalAt - this.firstSendAt) / 1000;
    return {
      perSecond: this.delivered / seconds,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1] ?? NaN,
      recipientP50: percentile(recipient, 50),
      recipientP99: percentile(recipient, 99),
    };
  }
}

/**
 * The events of sockets that outlive one run (the one-instance phases measure several runs on
 * the same sockets): forwarded to the current run's {@link Deliveries}; between runs, kept here.
 */
export class DeliverySwitch {
  current: Deliveries | null = null;
  readonly between: string[] = [];

  events(user: number): SubscriberEvents {
    return {
      onData: (data, arrivedAt) => (this.current ? this.current.receive(user, data, arrivedAt) : this.between.push(`user ${user}: a delivery between runs`)),
      onError: (message) => (this.current?.errors ?? this.between).push(`user ${user}: ${message}`),
      onClose: (code, reason) => (this.current?.closes ?? this.between).push(`user ${user}: closed ${code} ${reason}`),
    };
  }
}

export interface PhaseResult {
  perSecond: number;
  p50: number;
  p99: number;
  lost: number;
  duplicates: number;
  /** Failed sends, unexpected deliveries, wrong ids, errors and closes. */
  otherFaults: number;
  rssPerSocket: number;
}

export function phaseResult(d: Deliveries, rssPerSocket: number): PhaseResult {
  const s = d.summary();
  return { perSecond: s.perSecond, p50: s.p50, p99: s.p99, lost: d.lost, duplicates: d.duplicates, otherFaults: d.faults - d.lost - d.duplicates, rssPerSocket };
}

export function printPhase(name: string, d: Deliveries, extra: string[]): ReturnType<Deliveries['summary']> {
  const s = d.summary();
  const sent = d.sent.filter(Boolean).length;
  console.log(`  ${name}`);
  console.log(
    `    sent ${sent} (${d.sendErrors} failed)  delivered ${d.delivered}/${d.expected}  lost ${d.lost}  duplicates ${d.duplicates}` +
      `  unexpected ${d.unexpected + d.misrouted}  wrong ids ${d.wrongIds}  socket closes ${d.closes.length}  errors ${d.errors.length}`,
  );
  console.log(`    ${s.perSecond.toFixed(0)} deliveries/s (${(s.perSecond / 2).toFixed(0)} messages/s to both participants)`);
  console.log(
    `    end-to-end latency p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  max ${ms(s.max)}   (to the other participant: p50 ${ms(s.recipientP50)}  p99 ${ms(s.recipientP99)})`,
  );
  for (const line of extra) console.log(`    ${line}`);
  printProblems(d, '    ');
  return s;
}

/** The first few errors, closes and failed sends of a run. */
export function printProblems(d: Deliveries, indent: string): void {
  for (const line of [...d.errors.slice(0, 3), ...d.closes.slice(0, 3)]) console.log(`${indent}! ${line}`);
  for (const s of d.sent.filter((s) => s?.failed).slice(0, 3)) console.log(`${indent}! send failed: ${s.failed}`);
}
