import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { createMailer, recipientHash } from '../../src/email/mailer';

describe('email log transport (SMTP_URL unset)', () => {
  test('writes one line with the recipient as a hash, never the address or the body', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString('utf8'));
        callback();
      },
    });
    const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(32) });
    const mailer = createMailer(config.email, pino({ level: 'info' }, stream));
    expect(mailer.kind).toBe('log');
    await mailer.send({
      to: 'bo@example.test',
      subject: 'You have 1 unread message',
      text: 'the gate code is 4512',
      html: '<p>the gate code is 4512</p>',
      headers: { 'List-Unsubscribe': '<http://localhost/email/unsubscribe?token=secret-token>' },
      messageId: '<digest-1@localhost>',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(recipientHash('bo@example.test'));
    expect(lines[0]).not.toMatch(/bo@example\.test|4512|secret-token/);
  });
});
