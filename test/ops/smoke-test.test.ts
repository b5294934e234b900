/**
 * `npm run smoke-test` (scripts/smoke-test.ts) as operators run it: a child process, against a
 * real server and against servers that fail each way the contract's Operations section names.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { loadOrCreateDevSecret } from '../../src/auth/dev-secret';
import { signDevToken } from '../../src/auth/token-issuer';
import { InboxDocument } from '../../client/generated/graphql';
import { freePort } from '../helpers/child-server';
import { startTestServer, testDataDir, TEST_JWT_SECRET, type TestServer } from '../helpers/test-server';

const ROOT = path.resolve(__dirname, '..', '..');
const STEPS = ['healthz', 'readyz', 'upsert-users', 'start-conversation', 'subscribe', 'send-and-deliver', 'mark-read'];
const LINE = /^(ok|FAIL) ([a-z-]+) (\d+) ms$/;

interface Run {
  code: number | null;
  lines: string[];
  stderr: string;
  ms: number;
}

/** Runs the script as `npm run smoke-test` does, with the service's JWT settings in its environment. */
function smokeTest(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const started = Date.now();
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/smoke-test.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, DATA_DIR: testDataDir('smoke-test'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ code, lines: stdout.split('\n').filter(Boolean), stderr, ms: Date.now() - started }));
  });
}

/** The step names of the lines, each `ok` or `FAIL`; every line must have the contract's format. */
function steps(run: Run): string[] {
  return run.lines.map((text) => {
    const match = LINE.exec(text);
    if (!match) throw new Error(`not a step line: "${text}" (stderr: ${run.stderr})`);
    return `${match[1]} ${match[2]}`;
  });
}

/** A loopback HTTP server of the test's own; `handler` answers (or never answers) each request. */
async function fakeServer(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

let server: TestServer;
let origin: string;
let serviceToken: string;

beforeAll(async () => {
  server = await startTestServer();
  origin = server.url.replace(/\/graphql$/, '');
  serviceToken = await server.serviceToken('smoke-test');
});
afterAll(() => server.stop());

test('every step passes against a running service: seven ok lines in order, exit 0', async () => {
  const run = await smokeTest(['--url', origin, '--token', serviceToken]);
  expect({ code: run.code, steps: steps(run) }).toEqual({ code: 0, steps: STEPS.map((step) => `ok ${step}`) });
  expect(run.ms).toBeLessThan(30_000);
}, 40_000);

test('with --user-token twice it uses those users, and leaves only their archived conversation', async () => {
  const [a, b] = [randomUUID(), randomUUID()];
  const tokens = await Promise.all([server.token(a, { name: 'Smoke A' }), server.token(b, { name: 'Smoke B' })]);
  // A service that verifies with JWT_PUBLIC_KEY: nothing here could sign, the given tokens are used.
  const run = await smokeTest(['--url', `${origin}/graphql`, '--token', serviceToken, '--user-token', tokens[0], '--user-token', tokens[1]]);
  expect({ code: run.code, steps: steps(run) }).toEqual({ code: 0, steps: STEPS.map((step) => `ok ${step}`) });

  const all = await server.request(InboxDocument, { first: 10, status: ['ACTIVE', 'ARCHIVED', 'AUTO_ARCHIVED'] }, tokens[0]);
  expect(all.data?.conversations.edges.map(({ node }) => ({ with: node.otherParticipant.id, status: node.status, last: node.lastMessage?.content }))).toEqual([
    { with: b, status: 'ARCHIVED', last: 'smoke test' },
  ]);
  const receiver = await server.request(InboxDocument, { first: 10, status: ['ARCHIVED'] }, tokens[1]);
  expect(receiver.data?.conversations.edges.map(({ node }) => node.unreadCount)).toEqual([0]);
}, 40_000);

test('without JWT_SECRET it signs with the dev secret of DATA_DIR, as the service verifies', async () => {
  const dataDir = testDataDir('smoke-test-dev-secret');
  const devServer = await startTestServer({ JWT_SECRET: '', DATA_DIR: dataDir });
  try {
    const token = await signDevToken(await loadOrCreateDevSecret(dataDir), { sub: 'smoke-test', role: 'service' });
    const run = await smokeTest(['--url', devServer.url, '--token', token], { JWT_SECRET: '', DATA_DIR: dataDir });
    expect({ code: run.code, steps: steps(run) }).toEqual({ code: 0, steps: STEPS.map((step) => `ok ${step}`) });
  } finally {
    await devServer.stop();
  }
}, 40_000);

test('nothing listening on the port: FAIL healthz, exit 1', async () => {
  const run = await smokeTest(['--url', `http://127.0.0.1:${await freePort()}`, '--token', serviceToken]);
  expect({ code: run.code, steps: steps(run) }).toEqual({ code: 1, steps: ['FAIL healthz'] });
  expect(run.stderr).toMatch(/ECONNREFUSED/);
});

test('/readyz answers 503: FAIL readyz, exit 1', async () => {
  const notReady = await fakeServer((request, response) => {
    response.writeHead(request.url === '/healthz' ? 200 : 503).end();
  });
  try {
    const run = await smokeTest(['--url', notReady.url, '--token', serviceToken]);
    expect({ code: run.code, steps: steps(run) }).toEqual({ code: 1, steps: ['ok healthz', 'FAIL readyz'] });
    expect(run.stderr).toMatch(/503/);
  } finally {
    await notReady.close();
  }
});

test('a user token instead of a service token: FAIL upsert-users (FORBIDDEN), exit 1', async () => {
  const run = await smokeTest(['--url', origin, '--token', await server.token(randomUUID())]);
  expect({ code: run.code, steps: steps(run) }).toEqual({ code: 1, steps: ['ok healthz', 'ok readyz', 'FAIL upsert-users'] });
  expect(run.stderr).toMatch(/FORBIDDEN/);
});

test('a service token signed with another secret: FAIL upsert-users (UNAUTHENTICATED), exit 1', async () => {
  const forged = await signDevToken('another-secret-that-is-long-enough-for-hs256-xyz', { sub: 'smoke-test', role: 'service' });
  const run = await smokeTest(['--url', origin, '--token', forged]);
  expect({ code: run.code, steps: steps(run) }).toEqual({ code: 1, steps: ['ok healthz', 'ok readyz', 'FAIL upsert-users'] });
  expect(run.stderr).toMatch(/UNAUTHENTICATED/);
});

test('bad arguments: exit 2 and no step line', async () => {
  const run = await smokeTest(['--url', origin]);
  expect({ code: run.code, lines: run.lines }).toEqual({ code: 2, lines: [] });
  expect(run.stderr).toMatch(/--token is required/);
});

test('a server that answers each request after 9 s and never answers GraphQL: the run still ends within 30 s', async () => {
  const slow = await fakeServer((request, response) => {
    if (request.method === 'GET') setTimeout(() => response.writeHead(200).end(), 9000);
  });
  try {
    const run = await smokeTest(['--url', slow.url, '--token', serviceToken]);
    expect({ code: run.code, steps: steps(run) }).toEqual({ code: 1, steps: ['ok healthz', 'ok readyz', 'FAIL upsert-users'] });
    expect(run.ms).toBeLessThan(30_000);
    expect(run.stderr).toMatch(/timed out/);
  } finally {
    await slow.close();
  }
}, 45_000);

test('a server that never answers: FAIL healthz after the 10 s step timeout', async () => {
  const silent = await fakeServer(() => {});
  try {
    const run = await smokeTest(['--url', silent.url, '--token', serviceToken]);
    expect({ code: run.code, steps: steps(run) }).toEqual({ code: 1, steps: ['FAIL healthz'] });
    const [, , , ms] = LINE.exec(run.lines[0])!;
    expect(Number(ms)).toBeGreaterThanOrEqual(9_900);
    expect(Number(ms)).toBeLessThan(11_000);
  } finally {
    await silent.close();
  }
}, 30_000);
