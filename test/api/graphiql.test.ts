import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../helpers/test-server';

/**
 * The local GraphiQL (src/server/graphiql.router.ts): served in development from the
 * installed packages, so that it works offline; absent in production.
 */

function origin(server: TestServer): string {
  return `http://127.0.0.1:${server.service.port}`;
}

/** The src/href values of a page's script and link tags. */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
}

describe('GraphiQL in development', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'development' });
  });
  afterAll(() => server.stop());

  test('GET /graphiql answers a page that references local assets only, each served', async () => {
    const response = await fetch(`${origin(server)}/graphiql`);
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    // No absolute URL at all, hence none to another host (a CDN).
    expect(html).not.toMatch(/https?:\/\//);
    const assets = assetUrls(html);
    expect(assets).toEqual(expect.arrayContaining(['/graphiql/assets/graphiql.css', '/graphiql/assets/graphiql.js', '/graphiql/assets/start.js']));
    for (const asset of assets) {
      expect(asset).toMatch(/^\/graphiql\/assets\//);
      const served = await fetch(`${origin(server)}${asset}`);
      expect({ asset, status: served.status }).toEqual({ asset, status: 200 });
      expect((await served.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
  });

  test('the stylesheet loads nothing from the network either', async () => {
    const css = await (await fetch(`${origin(server)}/graphiql/assets/graphiql.css`)).text();

    expect(css).not.toMatch(/url\(\s*["']?https?:/);
    expect(css).not.toMatch(/@import/);
  });

  test('an unknown asset is 404', async () => {
    expect((await fetch(`${origin(server)}/graphiql/assets/secrets.js`)).status).toBe(404);
  });

  test("Apollo Sandbox's landing page links to it", async () => {
    const response = await fetch(server.url, { headers: { accept: 'text/html' } });

    expect(await response.text()).toContain('<a href="/graphiql">GraphiQL</a>');
  });
});

describe('GraphiQL in production', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET });
  });
  afterAll(() => server.stop());

  test('GET /graphiql and its assets are 404', async () => {
    expect((await fetch(`${origin(server)}/graphiql`)).status).toBe(404);
    expect((await fetch(`${origin(server)}/graphiql/assets/graphiql.js`)).status).toBe(404);
  });
});
