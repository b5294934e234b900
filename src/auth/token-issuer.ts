import { createSecretKey } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Config } from '../config';
import { loadOrCreateDevSecret } from './dev-secret';

export interface TokenClaims {
  sub: string;
  name?: string;
  picture?: string;
  email?: string;
  role?: 'service';
  /** Lifetime like "1h", "15m", "7d". */
  ttl?: string;
  issuer?: string;
  audience?: string;
}

/** Signs an HS256 development token (npm run token, tests, benchmarks). */
export async function signDevToken(secret: string, claims: TokenClaims): Promise<string> {
  const payload: Record<string, unknown> = {};
  if (claims.name) payload.name = claims.name;
  if (claims.picture) payload.picture = claims.picture;
  if (claims.email) payload.email = claims.email;
  if (claims.role) payload.role = claims.role;
  let jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(claims.ttl ?? '1h');
  if (claims.issuer) jwt = jwt.setIssuer(claims.issuer);
  if (claims.audience) jwt = jwt.setAudience(claims.audience);
  return jwt.sign(createSecretKey(Buffer.from(secret, 'utf8')));
}

/**
 * The HS256 secret that tokens must be signed with for this configuration, as the service
 * verifies them: JWT_SECRET, else the dev secret of DATA_DIR (generated on first use). Undefined
 * with JWT_PUBLIC_KEY: that private key lives with the issuer, so nothing here can sign.
 */
export async function localSigningSecret(config: Pick<Config, 'jwt' | 'dataDir'>): Promise<string | undefined> {
  if (config.jwt.publicKey) return undefined;
  return config.jwt.secret ?? (await loadOrCreateDevSecret(config.dataDir));
}
