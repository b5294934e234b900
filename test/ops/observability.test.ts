/**
 * deploy/grafana/messaging-dashboard.json and deploy/prometheus/alerts.yaml use only metric names
 * that /metrics exports: a real server, traffic (a send to a live subscription, an error), a scrape.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ConversationDocument, MessageReceivedDocument, SendMessageDocument } from '../../client/generated/graphql';
import { PgSql } from '../../src/db/sql';
import { createMetrics } from '../../src/observability/metrics';
import { exportedMetrics, metricNames, type Exported } from '../helpers/promql';
import { codes, conversationPair, startTestServer, type TestServer } from '../helpers/test-server';
import { RealtimeClient, metricValue, waitForSubscriptions, waitUntil, wsUrl } from '../realtime-api/realtime-helpers';

const ROOT = path.resolve(__dirname, '..', '..');

interface Panel {
  title: string;
  targets?: { expr: string }[];
}
interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'deploy/grafana/messaging-dashboard.json'), 'utf8')) as { panels: Panel[] };
const alerts = parse(readFileSync(path.join(ROOT, 'deploy/prometheus/alerts.yaml'), 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
const rules = alerts.groups.flatMap((group) => group.rules);

/** Each expression with where it comes from, e.g. "panel Messages sent" or "alert MessagingErrorRateHigh". */
const expressions: [string, string][] = [
  ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target): [string, string] => [`panel ${panel.title}`, target.expr])),
  ...rules.map((rule): [string, string] => [`alert ${rule.alert}`, rule.expr]),
];

/** Metrics only traffic this test cannot make produces samples of: a push to a registered device. */
const DECLARED_ONLY = new Set(['push_deliveries_total']);

let server: TestServer;
let exported: Exported;
let scrape: string;

beforeAll(async () => {
  server = await startTestServer();
  const { ana, bo, conversationId } = await conversationPair(server);
  const socket = new RealtimeClient(wsUrl(server), bo.token);
  try {
    // Live (no afterSequence): message_delivery_latency_seconds counts live events only.
    const stream = socket.subscribe(MessageReceivedDocument, { conversationId });
    await waitForSubscriptions(server, 'messageReceived', 1);
    const sent = await server.request(SendMessageDocument, { input: { conversationId, content: 'hello', clientMessageId: 'observability-1' } }, ana.token);
    expect(sent.errors).toBeUndefined();
    expect((await stream.next()).messageReceived.content).toBe('hello');
    // The push decision for the send (the recipient is online) is taken after the commit.
    await waitUntil(async () => (await metricValue(server, 'push_notifications_total')) > 0, 'a push decision');
  } finally {
    await socket.dispose();
  }
  const missing = await server.request(ConversationDocument, { id: '00000000-0000-4000-8000-000000000000' }, ana.token);
  expect(codes(missing)).toEqual(['NOT_FOUND']);

  const response = await fetch(server.url.replace(/\/graphql$/, '/metrics'));
  expect(response.status).toBe(200);
  scrape = await response.text();
  exported = exportedMetrics(scrape);
});
afterAll(() => server.stop());

test('the metric-name extraction skips functions, labels, grouping, ranges, strings and numbers', () => {
  expect(
    metricNames(
      'histogram_quantile(0.99, sum by (le, type) (rate(a_seconds_bucket{outcome="error", job=~"x|y"}[$__rate_interval]))) / on(instance) group_left b_total offset 5m > 1e3 and c:recorded',
    ).sort(),
  ).toEqual(['a_seconds_bucket', 'b_total', 'c:recorded']);
});

test('the dashboard has a panel for each of the contract\'s series', () => {
  expect(dashboard.panels.map((panel) => panel.title)).toEqual(
    expect.arrayContaining(['Messages sent', 'Delivery latency', 'Open WebSocket connections', 'GraphQL operation latency', 'Errors by code', 'Push outcomes', 'Database query time', 'Process memory']),
  );
  for (const panel of dashboard.panels) expect({ panel: panel.title, expressions: panel.targets?.length ?? 0 }).not.toEqual({ panel: panel.title, expressions: 0 });
});

test('the alert rules cover the post-deployment thresholds, each with a duration, a severity and a summary', () => {
  const text = (rule: Rule) => `${rule.alert} ${rule.expr}`;
  const find = (pattern: RegExp) => rules.filter((rule) => pattern.test(text(rule)));
  expect(find(/graphql_errors_total[\s\S]*> 0\.001/)).toHaveLength(1);
  expect(find(/histogram_quantile\(0\.99[\s\S]*message_delivery_latency_seconds_bucket[\s\S]*> 2\b/)).toHaveLength(1);
  expect(find(/push_notifications_total\{outcome="failed"\}/)).toHaveLength(1);
  expect(find(/db_pool_/).length).toBeGreaterThanOrEqual(1);
  for (const rule of rules) {
    expect({ alert: rule.alert, for: /^\d+[smh]$/.test(rule.for ?? ''), severity: Boolean(rule.labels?.severity), summary: Boolean(rule.annotations?.summary) }).toEqual({
      alert: rule.alert,
      for: true,
      severity: true,
      summary: true,
    });
  }
});

test('every metric name of the dashboard and the alert rules is exported by /metrics after traffic', () => {
  const problems: string[] = [];
  for (const [where, expr] of expressions) {
    const names = metricNames(expr);
    if (names.length === 0) problems.push(`${where}: no metric name in "${expr}"`);
    for (const name of names) {
      if (!exported.declared.has(name)) problems.push(`${where}: ${name} is not exported`);
      else if (!exported.sampled.has(name) && !DECLARED_ONLY.has(name)) problems.push(`${where}: ${name} has no sample after the traffic`);
    }
  }
  expect(problems).toEqual([]);
});

test('the pool gauges: both pools of the server with their sizes, and a query waiting for the only connection', async () => {
  expect(scrape).toMatch(/^db_pool_max_connections\{pool="hot_path"\} 10$/m);
  expect(scrape).toMatch(/^db_pool_max_connections\{pool="orm"\} \d+$/m);
  expect(scrape).toMatch(/^db_pool_connections\{pool="orm",state="in_use"\} \d+$/m);

  const sql = new PgSql({ connectionString: process.env.DATABASE_URL!, max: 1, preparedStatements: false });
  const metrics = createMetrics({ databasePools: () => [{ pool: 'hot_path', ...sql.stats() }] });
  const held = await sql.pool.connect();
  try {
    const waiting = sql.query({ name: 'one', text: 'select 1 as n' }, []);
    expect(sql.stats()).toEqual({ inUse: 1, idle: 0, waiting: 1, max: 1 });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^db_pool_waiting_clients\{pool="hot_path"\} 1$/m);
    expect(text).toMatch(/^db_pool_connections\{pool="hot_path",state="in_use"\} 1$/m);
    held.release();
    await waiting;
    expect(sql.stats()).toEqual({ inUse: 0, idle: 1, waiting: 0, max: 1 });
  } finally {
    await sql.close();
  }
});

const promtool = (() => {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// promtool comes with Debian's `prometheus` package; .ci/run installs it when missing.
(promtool ? test : test.skip)('promtool accepts the alert rules', () => {
  execFileSync('promtool', ['check', 'rules', path.join(ROOT, 'deploy/prometheus/alerts.yaml')], { stdio: 'pipe' });
});

// Each alert fires past its threshold and stays quiet below it (deploy/prometheus/alerts.test.yaml).
(promtool ? test : test.skip)('promtool test rules: every alert fires over its threshold and not under it', () => {
  const output = execFileSync('promtool', ['test', 'rules', 'alerts.test.yaml'], { cwd: path.join(ROOT, 'deploy/prometheus'), encoding: 'utf8' });
  expect(output).toContain('SUCCESS');
});
