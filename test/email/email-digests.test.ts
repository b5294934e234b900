import { randomUUID } from 'node:crypto';
import { BlockUserDocument, MeDocument, MarkReadDocument, NotificationPreferencesDocument, SendMessageDocument, UpsertUserEmailDocument } from '../generated/graphql';
import { signDevToken } from '../../src/auth/token-issuer';
import { codes, conversationPair, startTestServer, TEST_JWT_SECRET, type Actor, type TestServer } from '../helpers/test-server';
import { rawHeader, SmtpReceiver } from './smtp-receiver';

/**
 * Email digests (CONTRACT.md "Email") against a real SMTP server on loopback. Messages are due
 * after 2.4 s here (EMAIL_DIGEST_DELAY_MINUTES=0.04) and the interval is 6 s; the tests run
 * the job's work directly (`sendDue`), as `npm run jobs:run -- send-email-digests` does. The
 * delay is long enough that two sends and a run fit inside it on a loaded CI machine (at 0.6 s
 * they did not, once).
 */
const DELAY_MS = 2400;
const INTERVAL_MS = 6000;
let server: TestServer;
let smtp: SmtpReceiver;

beforeAll(async () => {
  smtp = new SmtpReceiver();
  const smtpUrl = await smtp.start();
  server = await startTestServer({
    SMTP_URL: smtpUrl,
    EMAIL_FROM: 'Marketplace <digest@example.test>',
    EMAIL_DIGEST_DELAY_MINUTES: String(DELAY_MS / 60_000),
    EMAIL_DIGEST_INTERVAL_MINUTES: String(INTERVAL_MS / 60_000),
    APP_URL: 'https://app.example.test/messages',
    PUBLIC_URL: 'http://127.0.0.1:1',
    // The scheduled run every minute must not race the explicit runs of these tests.
    JOBS_IN_PROCESS: 'false',
  });
});

afterAll(async () => {
  await server?.stop();
  await smtp?.stop();
});

const digests = () => server.service.app.services.emailDigests;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const publicBase = () => `http://127.0.0.1:${server.service.port}`;

async function withEmail(actorToUpdate: Actor): Promise<string> {
  const email = `${actorToUpdate.id.slice(0, 8)}@example.test`;
  const result = await server.request(UpsertUserEmailDocument, { input: { id: actorToUpdate.id, email } }, await server.serviceToken());
  expect(result.errors).toBeUndefined();
  return email;
}

async function block(blocker: Actor, blocked: Actor): Promise<void> {
  const answer = await server.request(BlockUserDocument, { userId: blocked.id }, blocker.token);
  expect(answer.errors).toBeUndefined();
}

async function send(from: Actor, conversationId: string, content: string): Promise<void> {
  const sent = await server.request(SendMessageDocument, { input: { conversationId, content } }, from.token);
  expect(sent.errors).toBeUndefined();
}

describe('email digests', () => {
  test('one digest per due recipient: from EMAIL_FROM, text and escaped HTML, the preview cut at 100, the unsubscribe headers', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const email = await withEmail(bo);
    const long = `Tom & Jerry say "hi" ${'a'.repeat(120)}`;
    const first100 = `Tom & Jerry say "hi" ${'a'.repeat(79)}`;
    await send(ana, conversationId, 'first');
    await send(ana, conversationId, long);
    // Counted for this recipient: the database is shared with the other suites, whose users may be due.
    await digests().sendDue();
    expect(smtp.to(email)).toHaveLength(0); // not due yet
    await sleep(DELAY_MS);
    const run = await digests().sendDue();
    expect(run.sent).toBeGreaterThanOrEqual(1);
    const [mail] = smtp.to(email);
    expect(smtp.to(email)).toHaveLength(1);
    expect(mail.from?.text).toBe('"Marketplace" <digest@example.test>');
    expect(mail.subject).toBe('You have 2 unread messages');
    expect(mail.text).toContain(`2 new messages from Ana:\n  ${first100}\n`);
    expect(mail.text).not.toContain('a'.repeat(80));
    expect(mail.html).toContain(`Tom &amp; Jerry say &quot;hi&quot; ${'a'.repeat(79)}</p>`);
    expect(mail.text).toContain('https://app.example.test/messages');
    expect(mail.html).toContain('href="https://app.example.test/messages"');
    const unsubscribe = rawHeader(mail, 'list-unsubscribe');
    expect(unsubscribe).toMatch(/^<http:\/\/127\.0\.0\.1:1\/email\/unsubscribe\?token=[\w.-]+>$/);
    expect(rawHeader(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    await digests().sendDue();
    expect(smtp.to(email)).toHaveLength(1);
  });

  test('read before it is due: nothing is sent', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const email = await withEmail(bo);
    await send(ana, conversationId, 'seen quickly');
    await server.request(MarkReadDocument, { input: { conversationId } }, bo.token);
    await sleep(DELAY_MS);
    await digests().sendDue();
    expect(smtp.to(email)).toHaveLength(0);
  });

  test('at most one per interval; what became due meanwhile goes into the first one after it', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const email = await withEmail(bo);
    await send(ana, conversationId, 'one');
    await sleep(DELAY_MS);
    await digests().sendDue();
    await send(ana, conversationId, 'two');
    await sleep(DELAY_MS);
    await digests().sendDue();
    expect(smtp.to(email)).toHaveLength(1);
    await sleep(INTERVAL_MS);
    await digests().sendDue();
    const mails = smtp.to(email);
    expect(mails).toHaveLength(2);
    expect(mails[1].text).toContain('two');
    expect(mails[1].subject).toBe('You have 2 unread messages');
  });

  test('blocked senders are left out, either direction; no email address: nothing', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const email = await withEmail(bo);
    // Sent before the block (a block refuses new sends): the block still hides it from the digest.
    await send(ana, conversationId, 'from a user bo is blocked by');
    await block(ana, bo);
    const reverse = await conversationPair(server);
    const reverseEmail = await withEmail(reverse.bo);
    await send(reverse.ana, reverse.conversationId, 'from a user bo blocked');
    await block(reverse.bo, reverse.ana);
    const other = await conversationPair(server);
    await send(other.ana, other.conversationId, 'to someone without an address');
    await sleep(DELAY_MS);
    await digests().sendDue();
    expect(smtp.to(email)).toHaveLength(0);
    expect(smtp.to(reverseEmail)).toHaveLength(0);
    expect(smtp.mails.filter((mail) => mail.text?.includes('without an address'))).toHaveLength(0);
  });

  test('two runs at once send each digest once', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const email = await withEmail(bo);
    await send(ana, conversationId, 'only once');
    await sleep(DELAY_MS);
    await Promise.all([digests().sendDue(), digests().sendDue(), digests().sendDue()]);
    expect(smtp.to(email)).toHaveLength(1);
  });

  test('a digest claimed by a run that crashed before sending is not sent again', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const email = await withEmail(bo);
    await send(ana, conversationId, 'claimed, then the process died');
    await sleep(DELAY_MS);
    // What the claim's transaction commits, without the send that a crash cut off.
    const sql = server.service.orm.em.getConnection();
    await sql.execute(`insert into email_digest_state (user_id, last_sent_at, covered_up_to)
      select ?, now() - interval '1 hour', max(created_at) from messages where conversation_id = ?`, [bo.id, conversationId]);
    await sql.execute(`insert into email_digests (id, user_id, conversations, status) values (?, ?, 1, 'sending')`, [randomUUID(), bo.id]);
    await digests().sendDue();
    expect(smtp.to(email)).toHaveLength(0);
  });

  test('one-click unsubscribe: POST turns emailEnabled off without a login, GET only shows a page', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const email = await withEmail(bo);
    await send(ana, conversationId, 'unsubscribe me');
    await sleep(DELAY_MS);
    await digests().sendDue();
    const link = rawHeader(smtp.to(email)[0], 'list-unsubscribe')!.slice(1, -1).replace('http://127.0.0.1:1', publicBase());
    const emailEnabled = async () => (await server.request(NotificationPreferencesDocument, {}, bo.token)).data!.notificationPreferences.emailEnabled;

    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post"');
    expect(await emailEnabled()).toBe(true);

    const forged = await fetch(`${publicBase()}/email/unsubscribe?token=${link.split('token=')[1].slice(0, -3)}abc`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(forged.status).toBe(400);
    expect(await emailEnabled()).toBe(true);

    const oneClick = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(oneClick.status).toBe(200);
    expect(await emailEnabled()).toBe(false);

    await send(ana, conversationId, 'after unsubscribing');
    await sleep(INTERVAL_MS);
    await digests().sendDue();
    expect(smtp.to(email)).toHaveLength(1);
  });
});

describe('email addresses', () => {
  test('upsertUser validates the address; the email claim sets it, an absent claim keeps it', async () => {
    const id = randomUUID();
    const serviceToken = await server.serviceToken();
    const bad = await server.request(UpsertUserEmailDocument, { input: { id, email: 'not-an-address' } }, serviceToken);
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    await server.request(UpsertUserEmailDocument, { input: { id, email: 'first@example.test' } }, serviceToken);
    const read = async () => (await server.service.orm.em.getConnection().execute(`select email from users where id = ?`, [id]))[0].email;
    expect(await read()).toBe('first@example.test');
    await server.request(MeDocument, {}, await signDevToken(TEST_JWT_SECRET, { sub: id, email: 'claim@example.test' }));
    expect(await read()).toBe('claim@example.test');
    await server.request(MeDocument, {}, await server.token(id));
    expect(await read()).toBe('claim@example.test');
  });
});
