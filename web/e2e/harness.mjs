// A real service for the end-to-end tests: `npm start` from the repository root on a free
// port, with its own database on the local PostgreSQL (created here, dropped at the end) and
// in-process pub/sub. Tokens are signed with the JWT_SECRET given to it.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const b64url = (value) => Buffer.from(value).toString('base64url');

/** HS256, as the service verifies with JWT_SECRET. */
export function signToken(secret, claims, ttlSeconds = 3600) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ iat: now, exp: now + ttlSeconds, ...claims }));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

function psql(adminUrl, sql) {
  execFileSync('psql', [adminUrl, '-qtAc', sql], { stdio: ['ignore', 'pipe', 'inherit'] });
}

export async function startService() {
  const base = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
  const adminUrl = base.replace(/\/[^/?]*(\?|$)/, '/postgres$1');
  const database = `web_e2e_${process.pid}_${Date.now()}`;
  psql(adminUrl, `CREATE DATABASE ${database}`);
  const port = await freePort();
  const secret = randomBytes(32).toString('hex');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'web-e2e-'));
  const env = {
    ...process.env,
    NODE_ENV: 'development',
    PORT: String(port),
    DATABASE_URL: base.replace(/\/[^/?]*(\?|$)/, `/${database}$1`),
    JWT_SECRET: secret,
    DATA_DIR: dataDir,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MESSAGES_PER_HOUR: '1000',
    PRESENCE_GRACE_MS: '1500',
    JOBS_IN_PROCESS: 'false',
  };
  delete env.REDIS_URL;
  delete env.DATABASE_DIRECT_URL;
  const child = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`the service did not get ready in 120 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const stop = async () => {
    // The whole process group: npm, and the node it started.
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    await new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        resolve();
      }, 15_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    psql(adminUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { url, secret, stop, output: () => output };
}

/** A user of the service: a token and a typed-enough GraphQL call. */
export function makeUser(service, name) {
  const id = randomUUID();
  const token = signToken(service.secret, { sub: id, name });
  const gql = async (query, variables = {}) => {
    const response = await fetch(`${service.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (body.errors) throw new Error(`${query.slice(0, 60)}: ${JSON.stringify(body.errors)}`);
    return body.data;
  };
  return { id, name, token, gql };
}

export const ops = {
  me: 'query { me { id } }',
  start: 'mutation ($p: ID!) { startConversation(input: { participantId: $p }) { id } }',
  send: 'mutation ($c: ID!, $t: String!) { sendMessage(input: { conversationId: $c, content: $t }) { id sequence } }',
  messages: 'query ($c: ID!) { conversation(id: $c) { messages(last: 100) { edges { node { content } } } } }',
  prefs: 'query { notificationPreferences { quietHours { enabled start end timezone } } }',
};
