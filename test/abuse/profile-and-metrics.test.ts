import { randomUUID } from 'node:crypto';
import { MeDocument, UpsertUserDocument } from '../generated/graphql';
import { freePort } from '../helpers/child-server';
import { startTestServer, type TestServer } from '../helpers/test-server';

/**
 * Attack 7 (docs/reliability.md): `name` and `picture` claims were stored verbatim
 * (`<img src=x onerror=alert(1)>`, `javascript:` URLs came back), and /metrics was public on
 * the API port. Names are plain text, avatars https (http outside production), and /metrics
 * needs METRICS_PORT or METRICS_TOKEN in production.
 */

describe('claims and profile fields', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'production' });
  });
  afterAll(() => server.stop());

  async function me(claims: { name?: string; picture?: string }) {
    const token = await server.token(randomUUID(), claims);
    return (await server.request(MeDocument, {}, token)).data!.me;
  }

  test('a name claim with HTML is stored as plain text', async () => {
    expect((await me({ name: 'Ana <img src=x onerror=alert(1)><script>alert(2)</script>' })).displayName).toBe('Ana');
    expect((await me({ name: 'Bo <b>Builder</b> <Enter>' })).displayName).toBe('Bo Builder <Enter>');
  });

  test.each(['javascript:alert(1)', 'data:image/png;base64,AAAA', 'http://cdn.example.com/a.png', '/relative.png', 'not a url'])('picture %j is dropped in production', async (picture) => {
    expect((await me({ name: 'Cy', picture })).avatarUrl).toBeNull();
  });

  test('an https picture is kept', async () => {
    expect((await me({ name: 'Di', picture: 'https://cdn.example.com/di.png' })).avatarUrl).toBe('https://cdn.example.com/di.png');
  });

  test('upsertUser (service role): HTML names become text, a javascript: avatar is BAD_USER_INPUT', async () => {
    const service = await server.serviceToken();
    const id = randomUUID();
    const named = await server.request(UpsertUserDocument, { input: { id, displayName: '<i>Eve</i>' } }, service);
    expect(named.data?.upsertUser.displayName).toBe('Eve');
    const refused = await server.request(UpsertUserDocument, { input: { id, avatarUrl: 'javascript:alert(1)' } }, service);
    expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('/metrics', () => {
  const metricsOf = (base: string, headers: Record<string, string> = {}) => fetch(`${base}/metrics`, { headers });
  const origin = (server: TestServer) => server.url.replace(/\/graphql$/, '');

  test('production without METRICS_PORT or METRICS_TOKEN does not serve /metrics', async () => {
    const server = await startTestServer({ NODE_ENV: 'production' });
    try {
      expect((await metricsOf(origin(server))).status).toBe(404);
    } finally {
      await server.stop();
    }
  });

  test('METRICS_TOKEN: 401 without the token, the numbers with it', async () => {
    const server = await startTestServer({ NODE_ENV: 'production', METRICS_TOKEN: 'scrape-secret-0123456789' });
    try {
      expect((await metricsOf(origin(server))).status).toBe(401);
      expect((await metricsOf(origin(server), { authorization: 'Bearer wrong' })).status).toBe(401);
      const scraped = await metricsOf(origin(server), { authorization: 'Bearer scrape-secret-0123456789' });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toMatch(/^# HELP /m);
    } finally {
      await server.stop();
    }
  });

  test('METRICS_PORT: served there, not on the API port', async () => {
    const port = await freePort();
    const server = await startTestServer({ NODE_ENV: 'production', METRICS_PORT: String(port) });
    try {
      expect((await metricsOf(origin(server))).status).toBe(404);
      const scraped = await metricsOf(`http://127.0.0.1:${port}`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toMatch(/^# HELP /m);
    } finally {
      await server.stop();
    }
  });
});
