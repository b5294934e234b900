import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../helpers/test-server';

/**
 * The reference web client at /app/ (src/server/web-app.router.ts), served from a build
 * directory: here a stand-in build, so this test does not depend on `npm run build:web`.
 */

function fakeBuild(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'web-app-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Messages</title><script type="module" src="/app/assets/index-abc.js"></script>');
  fs.writeFileSync(path.join(dir, 'assets', 'index-abc.js'), 'console.log("app")');
  fs.writeFileSync(path.join(dir, 'sw.js'), 'self.addEventListener("fetch", () => {})');
  fs.writeFileSync(path.join(dir, 'manifest.webmanifest'), '{"name":"Messages"}');
  return dir;
}

const origin = (server: TestServer) => `http://127.0.0.1:${server.service.port}`;

describe('the web client outside production', () => {
  let server: TestServer;
  const dir = fakeBuild();
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'development', WEB_APP_DIR: dir });
  });
  afterAll(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('GET /app/ answers the app as text/html, revalidated, under a same-origin script policy', async () => {
    const response = await fetch(`${origin(server)}/app/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await response.text()).toContain('/app/assets/index-abc.js');
  });

  test('/app redirects to /app/', async () => {
    const response = await fetch(`${origin(server)}/app`, { redirect: 'manual' });
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe('/app/');
  });

  test('hashed assets are cached for good; the service worker and manifest are revalidated', async () => {
    const asset = await fetch(`${origin(server)}/app/assets/index-abc.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const worker = await fetch(`${origin(server)}/app/sw.js`);
    expect(worker.status).toBe(200);
    expect(worker.headers.get('cache-control')).toBe('no-cache');
    const manifest = await fetch(`${origin(server)}/app/manifest.webmanifest`);
    expect(manifest.headers.get('content-type')).toMatch(/^application\/manifest\+json/);
  });

  test("the client's own routes answer the app; a missing asset is a 404, not the app", async () => {
    for (const route of ['/app/settings', '/app/c/some-id']) {
      const response = await fetch(`${origin(server)}${route}`);
      expect({ route, status: response.status, type: response.headers.get('content-type') }).toEqual({ route, status: 200, type: expect.stringMatching(/^text\/html/) });
    }
    expect((await fetch(`${origin(server)}/app/assets/missing.js`)).status).toBe(404);
  });
});

describe('the web client in production', () => {
  const dir = fakeBuild();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('is not served unless SERVE_WEB_APP=true', async () => {
    const server = await startTestServer({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET, WEB_APP_DIR: dir });
    try {
      expect((await fetch(`${origin(server)}/app/`)).status).toBe(404);
    } finally {
      await server.stop();
    }
  });

  test('is served with SERVE_WEB_APP=true', async () => {
    const server = await startTestServer({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET, WEB_APP_DIR: dir, SERVE_WEB_APP: 'true' });
    try {
      const response = await fetch(`${origin(server)}/app/`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    } finally {
      await server.stop();
    }
  });
});
