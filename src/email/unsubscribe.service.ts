import type { Sql, Statement } from '../db/sql';
import type { UnsubscribeTokens } from './unsubscribe-token';

const DISABLE_EMAIL: Statement = {
  name: 'email_unsubscribe',
  text: `insert into notification_preferences (user_id, email_enabled) select id, false from users where id = $1
         on conflict (user_id) do update set email_enabled = false, updated_at = now()
         returning user_id`,
};

/** RFC 8058 one-click unsubscribe: a signed link turns emailEnabled off without a login. */
export class UnsubscribeService {
  constructor(
    private readonly sql: Sql,
    readonly tokens: UnsubscribeTokens,
  ) {}

  /** Whether the token is valid (the GET page shows a form then, and changes nothing). */
  async isValid(token: string): Promise<boolean> {
    return (await this.tokens.verify(token)) !== undefined;
  }

  /** Turns email off for the token's user; false when the token is invalid or the user is gone. */
  async unsubscribe(token: string): Promise<boolean> {
    const userId = await this.tokens.verify(token);
    if (!userId) return false;
    return (await this.sql.query(DISABLE_EMAIL, [userId])).length > 0;
  }
}
