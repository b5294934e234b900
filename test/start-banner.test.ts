import { startBanner } from '../src/start-banner';

/** What `npm start` prints once it serves (src/start-banner.ts). */
describe('startBanner', () => {
  test('development: the URLs, GraphiQL, the cluster folder and a token command ready to paste', () => {
    const text = startBanner({ port: 4000, isProduction: false, graphiqlPath: '/graphiql', embeddedClusterDir: '/tmp/messaging-postgres-x', redis: false });

    expect(text).toContain('http://localhost:4000/graphql');
    expect(text).toContain('ws://localhost:4000/graphql');
    expect(text).toContain('http://localhost:4000/graphiql');
    expect(text).toContain('embedded PostgreSQL in /tmp/messaging-postgres-x');
    expect(text).toMatch(/npm run -s token -- --sub [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} --name Ana/);
  });

  test('the web client line appears only when it is served', () => {
    expect(startBanner({ port: 4000, isProduction: false, webAppPath: '/app/', redis: false })).toContain('http://localhost:4000/app/#token=<token>');
    expect(startBanner({ port: 4000, isProduction: false, redis: false })).not.toContain('/app/');
  });

  test('production: no GraphiQL, no token command', () => {
    const text = startBanner({ port: 8080, isProduction: true, redis: true });

    expect(text).toContain('http://localhost:8080/graphql');
    expect(text).not.toContain('graphiql');
    expect(text).not.toContain('npm run');
  });
});
