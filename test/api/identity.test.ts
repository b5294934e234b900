import { createSecretKey, generateKeyPair, randomUUID, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT, type JWTPayload } from 'jose';
import { signDevToken } from '../../src/auth/token-issuer';
import { MeDocument, UpsertUserDocument } from '../generated/graphql';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../helpers/test-server';

/**
 * CONTRACT.md "Identity": how bearer tokens are verified, the service role, and just-in-time
 * provisioning of users from token claims.
 */

const ME = '{ me { id displayName avatarUrl } }';
type MeData = { me: { id: string; displayName: string | null; avatarUrl: string | null } };

type RawResponse = Awaited<ReturnType<TestServer['raw']>>;
const codes = (response: { errors?: { extensions?: Record<string, unknown> }[] }) => (response.errors ?? []).map((e) => e.extensions?.code);

/** Signs `payload` with `key` and `alg`; exp one hour ahead unless the payload has its own. */
function sign(payload: JWTPayload, key: KeyObject, alg: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ exp: now + 3600, iat: now, ...payload }).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
}

type KeyPair = { publicKey: KeyObject; privateKey: KeyObject };
const generate = promisify(generateKeyPair);
/** Key pairs made once, in parallel on the thread pool (RSA generation is slow). */
const keys = {} as Record<'rsa' | 'rsaOther' | 'ec' | 'ecOther', KeyPair>;
beforeAll(async () => {
  const [rsa, rsaOther, ec, ecOther] = await Promise.all([
    generate('rsa', { modulusLength: 2048 }),
    generate('rsa', { modulusLength: 2048 }),
    generate('ec', { namedCurve: 'P-256' }),
    generate('ec', { namedCurve: 'P-256' }),
  ]);
  Object.assign(keys, { rsa, rsaOther, ec, ecOther });
});
const pem = (pair: KeyPair) => pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();

const hsKey = (secret = TEST_JWT_SECRET) => createSecretKey(Buffer.from(secret, 'utf8'));
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function meWithHeader(server: TestServer, authorization: string): Promise<RawResponse> {
  return server.raw({ query: ME }, null, { authorization });
}

async function expectUnauthenticated(server: TestServer, authorization: string | null, message?: RegExp): Promise<void> {
  const response = authorization === null ? await server.raw({ query: ME }) : await meWithHeader(server, authorization);
  expect(response.data ?? null).toBeNull();
  expect(codes(response)).toEqual(['UNAUTHENTICATED']);
  if (message) expect(response.errors![0].message).toMatch(message);
}

describe('HS256 (JWT_SECRET)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  test('a valid token passes', async () => {
    const id = randomUUID();
    const response = await server.raw({ query: ME }, await server.token(id));
    expect(response.errors).toBeUndefined();
    expect((response.data as unknown as MeData).me.id).toBe(id);
  });

  test('no token: UNAUTHENTICATED', async () => {
    await expectUnauthenticated(server, null);
  });

  test.each([
    ['an empty bearer', 'Bearer '],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a token without scheme that is not a JWT', 'not-a-jwt'],
    ['garbage after Bearer', 'Bearer abc.def.ghi'],
    ['two tokens', 'Bearer a.b.c d.e.f'],
    ['a truncated JWT', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0'],
  ])('a malformed header (%s): UNAUTHENTICATED', async (_name, header) => {
    await expectUnauthenticated(server, header);
  });

  test('a token signed with another secret: UNAUTHENTICATED', async () => {
    const token = await sign({ sub: randomUUID() }, hsKey('another-secret-that-is-long-enough-0123456789'), 'HS256');
    await expectUnauthenticated(server, `Bearer ${token}`, /not valid/);
  });

  test('a token whose payload was altered after signing: UNAUTHENTICATED', async () => {
    const token = await server.token(randomUUID());
    const [header, , signature] = token.split('.');
    const forged = `${header}.${b64({ sub: randomUUID(), exp: Math.floor(Date.now() / 1000) + 3600 })}.${signature}`;
    await expectUnauthenticated(server, `Bearer ${forged}`);
  });

  test('an expired token: UNAUTHENTICATED, saying so', async () => {
    const token = await sign({ sub: randomUUID(), exp: Math.floor(Date.now() / 1000) - 60 }, hsKey(), 'HS256');
    await expectUnauthenticated(server, `Bearer ${token}`, /expired/);
  });

  test('a token without exp: UNAUTHENTICATED', async () => {
    const token = await new SignJWT({ sub: randomUUID() }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().sign(hsKey());
    await expectUnauthenticated(server, `Bearer ${token}`);
  });

  test('a token without sub: UNAUTHENTICATED', async () => {
    const token = await sign({}, hsKey(), 'HS256');
    await expectUnauthenticated(server, `Bearer ${token}`);
  });

  test('a token not valid yet (nbf in the future): UNAUTHENTICATED', async () => {
    const token = await sign({ sub: randomUUID(), nbf: Math.floor(Date.now() / 1000) + 600 }, hsKey(), 'HS256');
    await expectUnauthenticated(server, `Bearer ${token}`);
  });

  test('alg "none" never passes, with or without a signature part', async () => {
    const payload = b64({ sub: randomUUID(), exp: Math.floor(Date.now() / 1000) + 3600 });
    for (const alg of ['none', 'None', 'NONE']) {
      const header = b64({ alg, typ: 'JWT' });
      await expectUnauthenticated(server, `Bearer ${header}.${payload}.`);
      await expectUnauthenticated(server, `Bearer ${header}.${payload}`);
    }
  });

  test('a token of another HMAC size (HS512) with the right secret is refused: the algorithm is fixed', async () => {
    const token = await sign({ sub: randomUUID() }, hsKey(), 'HS512');
    await expectUnauthenticated(server, `Bearer ${token}`);
  });

  test('without JWT_ISSUER/JWT_AUDIENCE, tokens with any iss and aud pass', async () => {
    const token = await signDevToken(TEST_JWT_SECRET, { sub: randomUUID(), issuer: 'https://anyone.example', audience: 'anything' });
    const response = await server.raw({ query: ME }, token);
    expect(response.errors).toBeUndefined();
  });

  test('a user whose sub is not a UUID: UNAUTHENTICATED', async () => {
    await expectUnauthenticated(server, `Bearer ${await server.token('user-42')}`, /UUID/);
  });

  test('the scheme is case-insensitive and a UUID sub in capitals is the same user', async () => {
    const id = randomUUID();
    const lower = await server.raw({ query: ME }, null, { authorization: `bearer ${await server.token(id, { name: 'Cap' })}` });
    expect((lower.data as unknown as MeData).me.id).toBe(id);
    const upper = await server.raw({ query: ME }, await server.token(id.toUpperCase()));
    expect(upper.errors).toBeUndefined();
    expect((upper.data as unknown as MeData).me).toMatchObject({ id, displayName: 'Cap' });
  });

  describe('roles', () => {
    test('a service (any sub) can call upsertUser', async () => {
      const id = randomUUID();
      const response = await server.request(
        UpsertUserDocument,
        { input: { id, displayName: 'Dana', avatarUrl: 'https://cdn.example/dana.png' } },
        await server.serviceToken('jobs-backend'),
      );
      expect(response.errors).toBeUndefined();
      expect(response.data?.upsertUser).toEqual({ id, displayName: 'Dana', avatarUrl: 'https://cdn.example/dana.png' });
      // The upserted user is the one who later signs in; a token without claims keeps the values.
      const me = await server.request(MeDocument, {}, await server.token(id));
      expect(me.data?.me).toMatchObject({ id, displayName: 'Dana', avatarUrl: 'https://cdn.example/dana.png' });
    });

    test('a service gets FORBIDDEN on a user operation (me)', async () => {
      const response = await server.raw({ query: ME }, await server.serviceToken('jobs-backend'));
      expect(response.data ?? null).toBeNull();
      expect(codes(response)).toEqual(['FORBIDDEN']);
    });

    test('a service whose sub is a UUID is still a service, not a user', async () => {
      const response = await server.raw({ query: ME }, await signDevToken(TEST_JWT_SECRET, { sub: randomUUID(), role: 'service' }));
      expect(codes(response)).toEqual(['FORBIDDEN']);
    });

    test('a user gets FORBIDDEN on a service operation (upsertUser), and nothing changes', async () => {
      const id = randomUUID();
      const token = await server.token(id, { name: 'Eve' });
      const response = await server.request(UpsertUserDocument, { input: { id, displayName: 'Mallory' } }, token);
      expect(response.data ?? null).toBeNull();
      expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      const me = await server.request(MeDocument, {}, token);
      expect(me.data?.me.displayName).toBe('Eve');
    });

    test('an unknown role claim is a plain user', async () => {
      const token = await sign({ sub: 'not-a-uuid', role: 'admin' }, hsKey(), 'HS256');
      await expectUnauthenticated(server, `Bearer ${token}`, /UUID/);
      const id = randomUUID();
      const asUser = await server.raw({ query: ME }, await sign({ sub: id, role: 'admin' }, hsKey(), 'HS256'));
      expect((asUser.data as unknown as MeData).me.id).toBe(id);
      const upsert = await server.raw(
        { query: 'mutation U($id: ID!) { upsertUser(input: { id: $id }) { id } }', variables: { id } },
        await sign({ sub: id, role: 'admin' }, hsKey(), 'HS256'),
      );
      expect(codes(upsert)).toEqual(['FORBIDDEN']);
    });

    test('an invalid token on a service operation: UNAUTHENTICATED, not FORBIDDEN', async () => {
      const response = await server.raw(
        { query: 'mutation U($id: ID!) { upsertUser(input: { id: $id }) { id } }', variables: { id: randomUUID() } },
        'not.a.token',
      );
      expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('just-in-time provisioning', () => {
    test('the first request creates the user from name and picture', async () => {
      const id = randomUUID();
      const me = await server.request(MeDocument, {}, await server.token(id, { name: 'Ana', picture: 'https://cdn.example/ana.png' }));
      expect(me.errors).toBeUndefined();
      expect(me.data?.me).toMatchObject({ id, displayName: 'Ana', avatarUrl: 'https://cdn.example/ana.png' });
      const [row] = await server.service.orm.em
        .fork()
        .getConnection()
        .execute('select display_name, avatar_url from users where id = ?', [id]);
      expect(row).toEqual({ display_name: 'Ana', avatar_url: 'https://cdn.example/ana.png' });
    });

    test('a later token with a new name or picture updates it; a token without them keeps the old values', async () => {
      const id = randomUUID();
      await server.request(MeDocument, {}, await server.token(id, { name: 'Ana', picture: 'https://cdn.example/1.png' }));
      const renamed = await server.request(MeDocument, {}, await server.token(id, { name: 'Ana María' }));
      expect(renamed.data?.me).toMatchObject({ displayName: 'Ana María', avatarUrl: 'https://cdn.example/1.png' });
      const repictured = await server.request(MeDocument, {}, await server.token(id, { picture: 'https://cdn.example/2.png' }));
      expect(repictured.data?.me).toMatchObject({ displayName: 'Ana María', avatarUrl: 'https://cdn.example/2.png' });
      const bare = await server.request(MeDocument, {}, await server.token(id));
      expect(bare.data?.me).toMatchObject({ displayName: 'Ana María', avatarUrl: 'https://cdn.example/2.png' });
    });

    test('a user with no name claim is created with a null displayName', async () => {
      const id = randomUUID();
      const me = await server.request(MeDocument, {}, await server.token(id));
      expect(me.data?.me).toMatchObject({ id, displayName: null, avatarUrl: null });
    });

    // The write-skipping cache remembers the last claims per user, not every claim set seen.
    test('going back to an earlier name within a minute updates it again', async () => {
      const id = randomUUID();
      await server.request(MeDocument, {}, await server.token(id, { name: 'First' }));
      await server.request(MeDocument, {}, await server.token(id, { name: 'Second' }));
      const back = await server.request(MeDocument, {}, await server.token(id, { name: 'First' }));
      expect(back.data?.me.displayName).toBe('First');
    });

    test('control characters in claims are dropped (NUL would break the insert)', async () => {
      const id = randomUUID();
      const me = await server.request(MeDocument, {}, await server.token(id, { name: 'An\u0000a\n' }));
      expect(me.errors).toBeUndefined();
      expect(me.data?.me.displayName).toBe('Ana');
    });

    test('a failed authentication provisions nobody', async () => {
      const id = randomUUID();
      const expired = await sign({ sub: id, name: 'Ghost', exp: Math.floor(Date.now() / 1000) - 60 }, hsKey(), 'HS256');
      await expectUnauthenticated(server, `Bearer ${expired}`);
      const rows = await server.service.orm.em.fork().getConnection().execute('select id from users where id = ?', [id]);
      expect(rows).toHaveLength(0);
    });

    test('a service token provisions no user', async () => {
      const id = randomUUID();
      await server.raw({ query: ME }, await signDevToken(TEST_JWT_SECRET, { sub: id, role: 'service', name: 'Svc' }));
      const rows = await server.service.orm.em.fork().getConnection().execute('select id from users where id = ?', [id]);
      expect(rows).toHaveLength(0);
    });
  });
});

describe.each([
  ['RS256', 'rsa', 'rsaOther', 'ES256', 'ec'],
  ['ES256', 'ec', 'ecOther', 'RS256', 'rsa'],
] as const)('%s (JWT_PUBLIC_KEY)', (alg, own, other, otherAlg, otherType) => {
  let server: TestServer;
  let privateKey: KeyObject;
  let publicPem: string;

  beforeAll(async () => {
    privateKey = keys[own].privateKey;
    publicPem = pem(keys[own]);
    // JWT_SECRET: undefined overrides the helper's secret: loadConfig treats it as unset.
    server = await startTestServer({ JWT_PUBLIC_KEY: publicPem, JWT_SECRET: undefined });
  });
  afterAll(() => server.stop());

  test('the server runs with the public key alone', () => {
    expect(server.service.config.jwt).toMatchObject({ publicKey: publicPem, secret: undefined });
    expect(server.service.jwtSecret).toBeUndefined();
  });

  test(`a token signed with the private key (${alg}) passes`, async () => {
    const id = randomUUID();
    const response = await server.raw({ query: ME }, await sign({ sub: id, name: 'Kim' }, privateKey, alg));
    expect(response.errors).toBeUndefined();
    expect((response.data as unknown as MeData).me).toMatchObject({ id, displayName: 'Kim' });
  });

  test('a token signed with another key pair of the same type is refused', async () => {
    await expectUnauthenticated(server, `Bearer ${await sign({ sub: randomUUID() }, keys[other].privateKey, alg)}`);
  });

  test(`a ${otherAlg} token is refused: the algorithm follows the key type`, async () => {
    await expectUnauthenticated(server, `Bearer ${await sign({ sub: randomUUID() }, keys[otherType].privateKey, otherAlg)}`);
  });

  test('an HS256 token signed with the dev/test secret is refused', async () => {
    await expectUnauthenticated(server, `Bearer ${await server.token(randomUUID())}`);
  });

  test('algorithm confusion: an HS256 token keyed with the public key PEM is refused', async () => {
    const token = await sign({ sub: randomUUID() }, createSecretKey(Buffer.from(publicPem)), 'HS256');
    await expectUnauthenticated(server, `Bearer ${token}`);
  });

  test('alg none is refused', async () => {
    const token = `${b64({ alg: 'none' })}.${b64({ sub: randomUUID(), exp: Math.floor(Date.now() / 1000) + 3600 })}.`;
    await expectUnauthenticated(server, `Bearer ${token}`);
  });

  test('an expired token is refused', async () => {
    const token = await sign({ sub: randomUUID(), exp: Math.floor(Date.now() / 1000) - 5 }, privateKey, alg);
    await expectUnauthenticated(server, `Bearer ${token}`, /expired/);
  });
});

describe('JWT_ISSUER and JWT_AUDIENCE', () => {
  const issuer = 'https://auth.marketplace.example';
  const audience = 'messaging';
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ JWT_ISSUER: issuer, JWT_AUDIENCE: audience });
  });
  afterAll(() => server.stop());

  const token = (claims: { issuer?: string; audience?: string }) => signDevToken(TEST_JWT_SECRET, { sub: randomUUID(), ...claims });

  test('the right iss and aud pass', async () => {
    const response = await server.raw({ query: ME }, await token({ issuer, audience }));
    expect(response.errors).toBeUndefined();
  });

  test('an aud list containing the audience passes', async () => {
    const response = await server.raw({ query: ME }, await sign({ sub: randomUUID(), iss: issuer, aud: ['other', audience] }, hsKey(), 'HS256'));
    expect(response.errors).toBeUndefined();
  });

  test.each([
    ['a wrong issuer', { issuer: 'https://evil.example', audience }],
    ['no issuer', { audience }],
    ['a wrong audience', { issuer, audience: 'payments' }],
    ['no audience', { issuer }],
  ])('%s is refused', async (_name, claims) => {
    await expectUnauthenticated(server, `Bearer ${await token(claims)}`);
  });
});
