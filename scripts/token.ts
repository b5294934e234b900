/**
 * Prints a signed JWT for trying the API by hand, tests and benchmarks; only the token goes to
 * stdout, so `TOKEN=$(npm run -s token -- --sub ...)` works.
 *
 *   npm run token -- --sub ID [--name NAME] [--picture URL] [--role service] [--ttl 1h]
 *
 * Signs with JWT_SECRET, or else the dev secret in DATA_DIR (generated on first use, the same
 * one the service verifies with). With JWT_PUBLIC_KEY the private key is elsewhere: no token.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { localSigningSecret, signDevToken, type TokenClaims } from '../src/auth/token-issuer';
import { isUuid } from '../src/auth/viewer';
import { loadConfig } from '../src/config';

const USAGE = `usage: npm run token -- [--sub ID] [--name NAME] [--picture URL] [--role service] [--ttl 1h]
  --sub      user id (a UUID; a random one when omitted) or the service's name with --role service
  --name     display name claim
  --picture  avatar URL claim
  --role     "service" for a trusted backend token
  --ttl      lifetime such as 15m, 1h, 7d (default 1h)`;

function parseClaims(argv: string[]): TokenClaims {
  const { values } = parseArgs({
    args: argv,
    options: {
      sub: { type: 'string' },
      name: { type: 'string' },
      picture: { type: 'string' },
      role: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.role !== undefined && values.role !== 'service') {
    throw new Error(`--role can only be "service", got "${values.role}"`);
  }
  const role = values.role as TokenClaims['role'];
  if (role === 'service' && !values.sub) throw new Error('--role service needs --sub NAME (the calling service)');
  const sub = values.sub ?? randomUUID();
  // The service answers UNAUTHENTICATED for user tokens whose subject is no UUID.
  if (!role && !isUuid(sub)) throw new Error(`--sub must be a UUID for a user token, got "${sub}"`);
  return { sub, name: values.name, picture: values.picture, role, ttl: values.ttl };
}

async function main(): Promise<number> {
  let claims: TokenClaims;
  try {
    claims = parseClaims(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  const secret = await localSigningSecret(config);
  if (secret === undefined) {
    console.error(
      'JWT_PUBLIC_KEY is set: the service verifies RS256/ES256 tokens whose private key lives with the issuer, ' +
        'so this script cannot sign one. Get a token from the issuer, or unset JWT_PUBLIC_KEY to use JWT_SECRET or the dev secret.',
    );
    return 1;
  }
  let token: string;
  try {
    token = await signDevToken(secret, { ...claims, issuer: config.jwt.issuer, audience: config.jwt.audience });
  } catch (error) {
    // jose validates the lifetime: "Invalid time period format".
    console.error(`cannot sign with --ttl "${claims.ttl}": ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  process.stdout.write(`${token}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
