import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogTransport } from '../../src/push/log-transport';
import type { PushMessage } from '../../src/push/push-transport';
import { sendWithRetry } from '../../src/push/retry';
import { tokenFingerprint } from '../../src/push/token-fingerprint';

function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const token = 'dGhpcyBpcyBhIGxvbmcgZmNtIHJlZ2lzdHJhdGlvbiB0b2tlbg:APA91bHsecretpart';
const body = 'The secret gate code is 4512, see you at 9';

function message(overrides: Partial<PushMessage> = {}): PushMessage {
  return {
    token,
    platform: 'IOS',
    title: 'Ana',
    body,
    data: { conversationId: 'conv-1', messageId: 'msg-1' },
    collapseKey: 'conv-1',
    threadId: 'conv-1',
    badge: 2,
    ...overrides,
  };
}

describe('log transport', () => {
  it('answers sent and logs title, body length, collapse key and badge, never the body or the token', async () => {
    const { logger, lines } = capturingLogger();
    const transport = createLogTransport(logger);

    const results = await transport.send([message()]);

    expect(transport.name).toBe('log');
    expect(results).toEqual([{ token, outcome: 'sent', providerMessageId: expect.stringMatching(/^log\//) }]);
    expect(lines).toHaveLength(1);
    const logged = JSON.parse(lines[0]);
    expect(logged.push).toMatchObject({
      transport: 'log',
      device: tokenFingerprint(token),
      platform: 'IOS',
      title: 'Ana',
      bodyLength: body.length,
      collapseKey: 'conv-1',
      threadId: 'conv-1',
      badge: 2,
      dataKeys: ['conversationId', 'messageId'],
      outcome: 'sent',
    });
    expect(lines[0]).not.toContain(body);
    expect(lines[0]).not.toContain('4512');
    expect(lines[0]).not.toContain(token);
    expect(lines[0]).not.toContain('APA91b');
    expect(lines[0]).not.toContain('msg-1');
  });

  it('answers invalid_token for tokens starting with invalid-, so device removal can be exercised', async () => {
    const { logger, lines } = capturingLogger();
    const transport = createLogTransport(logger);

    const results = await sendWithRetry(transport, [
      message({ token: 'invalid-device-1' }),
      message({ token: 'device-2', platform: 'ANDROID' }),
    ]);

    expect(results.map((r) => [r.token, r.outcome])).toEqual([
      ['invalid-device-1', 'invalid_token'],
      ['device-2', 'sent'],
    ]);
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]).push.outcome).toBe('invalid_token');
  });

  it('gives one fingerprint per token: short, stable, distinct', () => {
    expect(tokenFingerprint('a')).toHaveLength(12);
    expect(tokenFingerprint('a')).toBe(tokenFingerprint('a'));
    expect(tokenFingerprint('a')).not.toBe(tokenFingerprint('b'));
  });
});
