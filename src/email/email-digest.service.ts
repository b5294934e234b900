import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EmailConfig } from '../config';
import type { Orm } from '../db/orm';
import type { Logger } from '../observability/logger';
import { digestHtml, digestSubject, digestText, preview, type DigestConversation } from './digest-template';
import { recipientHash, type Mailer } from './mailer';
import type { UnsubscribeTokens } from './unsubscribe-token';

// Either direction of a block hides the pair's messages (user_blocks: see the migration).
const NOT_BLOCKED = `not exists (select 1 from user_blocks b
  where (b.blocker_id = r.id and b.blocked_id = m.sender_id) or (b.blocker_id = m.sender_id and b.blocked_id = r.id))`;
const RECIPIENT = `join conversations c on c.id = m.conversation_id
  join users r on r.id = case when m.sender_id = c.participant_a_id then c.participant_b_id else c.participant_a_id end`;

// Recipients with a message unread for the delay that no digest covered yet, whose interval is over.
const DUE_RECIPIENTS = `select distinct r.id
  from messages m ${RECIPIENT}
  left join notification_preferences p on p.user_id = r.id
  left join email_digest_state s on s.user_id = r.id
  where m.read_at is null and m.sender_id is not null
    and m.created_at <= now() - make_interval(secs => ?)
    and m.created_at > coalesce(s.covered_up_to, '-infinity')
    and r.email is not null and coalesce(p.email_enabled, true)
    and (s.last_sent_at is null or s.last_sent_at <= now() - make_interval(secs => ?))
    and ${NOT_BLOCKED}
  limit ?`;
// Under the recipient's state lock: the same conditions again (another run may have just sent),
// then every conversation with unread messages for them at this moment.
// Timestamps travel as text: a JavaScript Date would drop the microseconds and re-cover the newest message.
const LOCK_STATE = `select s.covered_up_to::text as covered_up_to, r.email from email_digest_state s
  join users r on r.id = s.user_id left join notification_preferences p on p.user_id = r.id
  where s.user_id = ? and r.email is not null and coalesce(p.email_enabled, true)
    and (s.last_sent_at is null or s.last_sent_at <= now() - make_interval(secs => ?))
  for update of s skip locked`;
const UNREAD_CONVERSATIONS = `select distinct on (m.conversation_id) m.conversation_id, m.content, m.created_at,
    coalesce(sender.display_name, 'Someone') as sender_name,
    count(*) over (partition by m.conversation_id) as unread_count,
    (max(m.created_at) over ())::text as newest,
    bool_or(m.created_at <= now() - make_interval(secs => ?) and m.created_at > coalesce(?::timestamptz, '-infinity')) over () as has_due
  from messages m ${RECIPIENT}
  left join users sender on sender.id = m.sender_id
  where r.id = ? and m.read_at is null and m.sender_id is not null and ${NOT_BLOCKED}
  order by m.conversation_id, m.created_at desc, m.sequence desc`;

const BATCH = 100;

export interface EmailDigestOptions {
  orm: Orm;
  mailer: Mailer;
  tokens: UnsubscribeTokens;
  config: EmailConfig;
  logger: Logger;
}

/** What one run did, for the job's log and the tests. */
export interface DigestRun {
  sent: number;
  failed: number;
}

/**
 * The email digests (CONTRACT.md "Email"), run by the `send-email-digests` job every minute.
 *
 * Idempotent: for each recipient, one transaction locks their state row, composes the digest
 * from what is unread now, records it (`email_digests`, status `sending`) and moves the state
 * on (`last_sent_at`, `covered_up_to`), and commits; only then is the email sent. A run that
 * crashes after the commit has claimed that digest, so no later run sends it again (at most
 * once: a lost email is better than a second copy of the same one); a run that crashes
 * before has changed nothing. Runs on several workers skip each other's locked rows.
 */
export class EmailDigestService {
  constructor(private readonly options: EmailDigestOptions) {}

  async sendDue(): Promise<DigestRun> {
    const { config } = this.options;
    const em = this.options.orm.em.fork();
    const run: DigestRun = { sent: 0, failed: 0 };
    for (;;) {
      const due = await em.execute(DUE_RECIPIENTS, [config.delaySeconds, config.intervalSeconds, BATCH]);
      let progressed = false;
      for (const { id } of due) {
        const outcome = await this.sendOne(String(id));
        if (outcome === 'sent') run.sent += 1;
        if (outcome === 'failed') run.failed += 1;
        if (outcome !== 'skipped') progressed = true;
      }
      if (due.length < BATCH || !progressed) return run;
    }
  }

  /** Deletes digest records older than 30 days (the interval state stays); answers how many. */
  async pruneRecords(): Promise<number> {
    const rows = await this.options.orm.em.fork().execute(`delete from email_digests where created_at < now() - interval '30 days' returning id`);
    return rows.length;
  }

  private async sendOne(userId: string): Promise<'sent' | 'failed' | 'skipped'> {
    const { orm, mailer, logger } = this.options;
    const claimed = await orm.em.fork().transactional((tx) => this.claim(tx as EntityManager, userId));
    if (!claimed) return 'skipped';
    const unsubscribeUrl = `${this.options.config.publicUrl}/email/unsubscribe?token=${encodeURIComponent(await this.options.tokens.sign(userId))}`;
    const content = { conversations: claimed.conversations, appUrl: this.options.config.appUrl, unsubscribeUrl };
    let status: 'sent' | 'failed' = 'sent';
    try {
      await mailer.send({
        to: claimed.email,
        subject: digestSubject(content),
        text: digestText(content),
        html: digestHtml(content),
        messageId: `<digest-${claimed.digestId}@${new URL(this.options.config.publicUrl).hostname}>`,
        headers: { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      });
    } catch (error) {
      // Not retried: the server may have taken it before failing (see the class comment).
      status = 'failed';
      logger.warn({ err: error, recipient: recipientHash(claimed.email) }, 'email digest failed');
    }
    await orm.em.fork().execute(`update email_digests set status = ? where id = ?`, [status, claimed.digestId]);
    return status;
  }

  private async claim(tx: EntityManager, userId: string): Promise<{ digestId: string; email: string; conversations: DigestConversation[] } | null> {
    const { config } = this.options;
    await tx.execute(`insert into email_digest_state (user_id) values (?) on conflict (user_id) do nothing`, [userId]);
    const [state] = await tx.execute(LOCK_STATE, [userId, config.intervalSeconds]);
    if (!state) return null;
    const rows = await tx.execute(UNREAD_CONVERSATIONS, [config.delaySeconds, state.covered_up_to ?? null, userId]);
    if (rows.length === 0 || !rows[0].has_due) return null;
    const digestId = randomUUID();
    await tx.execute(`update email_digest_state set last_sent_at = now(), covered_up_to = ?::timestamptz where user_id = ?`, [rows[0].newest, userId]);
    await tx.execute(`insert into email_digests (id, user_id, conversations, status) values (?, ?, ?, 'sending')`, [digestId, userId, rows.length]);
    const conversations = rows
      .sort((a, b) => new Date(b.created_at).getTime() - new Date(a.created_at).getTime())
      .map((row) => ({ senderName: String(row.sender_name), unreadCount: Number(row.unread_count), preview: preview(row.content as string | null) }));
    return { digestId, email: String(state.email), conversations };
  }
}
