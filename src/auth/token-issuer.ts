import { createSecretKey } from 'node:crypto';
import { SignJWT } from 'jose';

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
