import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { EmailConfig } from '../config';
import type { Logger } from '../observability/logger';

/** One email as the digests compose it. */
export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  /** A stable Message-ID, so that a receiving system can tell a copy from a new email. */
  messageId: string;
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
  readonly kind: 'smtp' | 'log';
}

/**
 * nodemailer to SMTP_URL; without it, nodemailer's JSON transport builds the message (so a bad
 * header fails the same way) and the log gets one line: the recipient as a hash, never the
 * address or the body (CONTRACT.md "Email").
 */
export function createMailer(config: EmailConfig, logger: Logger): Mailer {
  if (config.smtpUrl) {
    const transport = nodemailer.createTransport(config.smtpUrl);
    return {
      kind: 'smtp',
      async send(email) {
        await transport.sendMail({ from: config.from, ...email });
      },
    };
  }
  const transport = nodemailer.createTransport({ jsonTransport: true });
  return {
    kind: 'log',
    async send(email) {
      await transport.sendMail({ from: config.from, ...email });
      logger.info({ recipient: recipientHash(email.to), messageId: email.messageId }, 'email written to the log (SMTP_URL unset)');
    },
  };
}

/** A short hash of an address, for logs that must say who without saying the address. */
export function recipientHash(address: string): string {
  return createHash('sha256').update(address.toLowerCase()).digest('hex').slice(0, 16);
}
