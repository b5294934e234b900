import { randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Sql, Statement } from '../db/sql';

const CREATE_KEY: Statement = { name: 'email_key_create', text: `insert into email_signing_key (id, secret) values (1, $1) on conflict (id) do nothing` };
const READ_KEY: Statement = { name: 'email_key_read', text: `select secret from email_signing_key where id = 1` };
const PURPOSE = 'email-unsubscribe';

/**
 * The signed token of an unsubscribe link: an HS256 JWT (jose) naming the user, with no expiry
 * (a link in an old email must still work). The key lives in the database, made once, so every
 * instance and worker signs and verifies alike, whatever JWT settings are configured.
 */
export class UnsubscribeTokens {
  private key: Promise<Uint8Array> | undefined;

  constructor(private readonly sql: Sql) {}

  async sign(userId: string): Promise<string> {
    return new SignJWT({ purpose: PURPOSE }).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setIssuedAt().sign(await this.secret());
  }

  /** The user id of a valid token, or undefined. */
  async verify(token: string): Promise<string | undefined> {
    try {
      const { payload } = await jwtVerify(token, await this.secret(), { algorithms: ['HS256'] });
      return payload.purpose === PURPOSE && typeof payload.sub === 'string' ? payload.sub : undefined;
    } catch {
      return undefined;
    }
  }

  private secret(): Promise<Uint8Array> {
    this.key ??= (async () => {
      await this.sql.query(CREATE_KEY, [randomBytes(32)]);
      const [row] = await this.sql.query(READ_KEY, []);
      return new Uint8Array(row.secret as Buffer);
    })().catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }
}
