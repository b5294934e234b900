import { createSecretKey, type KeyObject } from 'node:crypto';
import { errors as joseErrors, importSPKI, jwtVerify, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { DomainError, ErrorCode } from '../errors';
import { stripControlCharacters } from '../plain-text';
import { isUuid, type Viewer } from './viewer';

export interface TokenKeys {
  secret?: string;
  publicKey?: string;
  issuer?: string;
  audience?: string;
}

const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256'];

/**
 * Verifies bearer tokens as CONTRACT.md says: HS256 with a secret or RS256/ES256 with a PEM
 * public key, `exp` required, `iss`/`aud` when configured. The algorithm list is fixed by the
 * key type, so `alg: none` and algorithm confusion never pass.
 */
export class TokenVerifier {
  /**
   * Verified tokens, keyed by the whole token string, so that a client's burst of requests
   * verifies its token once. Eviction: an entry lives until its token's `exp`, and past 10,000
   * entries the least recently used one goes.
   */
  private readonly cache = new LRUCache<string, Viewer>({ max: 10_000 });

  private constructor(
    private readonly key: KeyObject,
    private readonly algorithms: string[],
    private readonly keys: TokenKeys,
  ) {}

  static async create(keys: TokenKeys): Promise<TokenVerifier> {
    if (keys.publicKey) {
      const alg = keys.publicKey.includes('BEGIN PUBLIC KEY') ? await detectAlgorithm(keys.publicKey) : 'RS256';
      return new TokenVerifier((await importSPKI(keys.publicKey, alg)) as KeyObject, ASYMMETRIC_ALGORITHMS.filter((a) => a === alg), keys);
    }
    if (!keys.secret) throw new Error('TokenVerifier needs a secret or a public key');
    return new TokenVerifier(createSecretKey(Buffer.from(keys.secret, 'utf8')), ['HS256'], keys);
  }

  /** Verifies an `Authorization` header value (with or without "Bearer "). */
  async verifyHeader(header: string | undefined | null): Promise<Viewer> {
    if (!header) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'A bearer token is required');
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'The authorization must be "Bearer <token>"');
    return this.verify(match[1]);
  }

  async verify(token: string): Promise<Viewer> {
    const cached = this.cache.get(token);
    if (cached) return cached;
    const viewer = await this.verifyUncached(token);
    const ttl = Math.floor(viewer.expiresAt - Date.now());
    if (ttl > 0) this.cache.set(token, viewer, { ttl });
    return viewer;
  }

  private async verifyUncached(token: string): Promise<Viewer> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: this.algorithms,
        issuer: this.keys.issuer,
        audience: this.keys.audience,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      const reason = error instanceof joseErrors.JWTExpired ? 'The token has expired' : 'The token is not valid';
      throw new DomainError(ErrorCode.UNAUTHENTICATED, reason);
    }
    const sub = String(payload.sub);
    const expiresAt = (payload.exp as number) * 1000;
    if (payload.role === 'service') return { kind: 'service', id: sub, expiresAt };
    if (!isUuid(sub)) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'The token subject must be a UUID');
    return {
      kind: 'user',
      id: sub.toLowerCase(),
      name: typeof payload.name === 'string' ? claimText(payload.name, 200) : undefined,
      picture: typeof payload.picture === 'string' ? claimText(payload.picture, 2000) : undefined,
      email: typeof payload.email === 'string' ? payload.email.trim() : undefined,
      expiresAt,
    };
  }
}

async function detectAlgorithm(pem: string): Promise<string> {
  const { createPublicKey } = await import('node:crypto');
  return createPublicKey(pem).asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
}

/** A display claim as one line of text (no control characters), at most `max` characters. */
function claimText(value: string, max: number): string | undefined {
  const cleaned = stripControlCharacters(value).slice(0, max);
  return cleaned.length > 0 ? cleaned : undefined;
}
