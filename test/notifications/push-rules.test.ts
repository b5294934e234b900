import { DevicePlatform, NotificationOutcome, NotificationType } from '../../src/schema/common/enums';
import { DomainError } from '../../src/errors';
import { metricValue, PushHarness, RecordingTransport } from './push-harness';
import { SENDING_LEASE_MS } from '../../src/services/push-delivery.service';

/** The lease of `bo`'s claimed deliveries began longer ago than SENDING_LEASE_MS (the database's clock decides). */
async function leaseRunsOut(h: PushHarness, userId: string): Promise<void> {
  await h.em().execute(
    `update push_deliveries d set attempted_at = attempted_at - make_interval(secs => ? / 1000.0) from push_notifications n where n.id = d.notification_id and n.user_id = ? and d.state = 'sending'`,
    [SENDING_LEASE_MS + 1000, userId],
  );
}

/**
 * The push rules of CONTRACT.md at service level, against the test database, with a
 * controllable clock: tests decide when "the window ends" and run the jobs themselves.
 */

let h: PushHarness;
let transport: RecordingTransport;
beforeAll(async () => {
  transport = new RecordingTransport();
  h = await PushHarness.create({ transport, batchWindowMs: 3000 });
});
afterAll(() => h.close());
beforeEach(() => {
  h.clock.set('2026-03-10T15:00:00Z');
  h.queue.jobs.length = 0;
});

/** Ana writes to Bo, who is offline and has one Android device. */
async function pair(options: { boDevice?: boolean } = {}) {
  const ana = await h.user('Ana');
  const bo = await h.user('Bo');
  const token = options.boDevice === false ? '' : await h.device(bo);
  const conversationId = await h.conversation(ana, bo);
  return { ana, bo, token, conversationId };
}

describe('a new message', () => {
  test('to an offline recipient with a device: one push when the window ends, with name, preview, collapse key and badge', async () => {
    const { ana, bo, token, conversationId } = await pair();
    const message = await h.send(ana, conversationId, 'Are you free\ntomorrow at 9?');

    expect(transport.to(token)).toHaveLength(0);
    expect(h.queue.jobs).toEqual([
      { name: 'deliver-conversation-push', at: new Date('2026-03-10T15:00:03Z'), data: { userId: bo, conversationId } },
    ]);

    h.clock.advance(3000);
    expect(await h.runDueJobs()).toEqual(['sent']);
    const [push] = transport.to(token);
    expect(push).toMatchObject({
      platform: 'ANDROID',
      title: 'Ana',
      body: 'Are you free tomorrow at 9?',
      collapseKey: conversationId,
      threadId: conversationId,
      badge: 1,
      data: { type: 'NEW_MESSAGE', conversationId, messageId: message.id, count: '1' },
    });
    expect(await metricValue(h.metrics, 'push_notifications_total', { type: 'NEW_MESSAGE', outcome: 'sent' })).toBeGreaterThanOrEqual(1);
  });

  test('an image says so', async () => {
    const { ana, token, conversationId } = await pair();
    await h.sendImage(ana, conversationId);
    h.clock.advance(3000);
    await h.runDueJobs();
    expect(transport.to(token).map((push) => [push.title, push.body])).toEqual([['Ana', '📷 Photo']]);
  });

  test('several within the window make one notification "3 new messages from Ana", badge = unreadTotal', async () => {
    const { ana, bo, token, conversationId } = await pair();
    // Bo has another unread message elsewhere: the badge counts every conversation.
    const carla = await h.user('Carla');
    const other = await h.conversation(carla, bo);
    await h.send(carla, other, 'hello from Carla');

    await h.send(ana, conversationId, 'one');
    h.clock.advance(1000);
    await h.send(ana, conversationId, 'two');
    h.clock.advance(1000);
    await h.send(ana, conversationId, 'three');

    expect(h.queue.jobs.filter((job) => job.data.conversationId === conversationId)).toHaveLength(1);
    h.clock.advance(1000);
    await h.runDueJobs();
    const pushes = transport.to(token);
    expect(pushes.filter((push) => push.collapseKey === conversationId)).toEqual([
      expect.objectContaining({ title: 'Ana', body: '3 new messages from Ana', badge: 4, data: expect.objectContaining({ count: '3' }) }),
    ]);

    // The next message opens a new window; its notification replaces the first (same collapse key and thread).
    await h.send(ana, conversationId, 'four');
    h.clock.advance(3000);
    await h.runDueJobs();
    const again = transport.to(token).filter((push) => push.collapseKey === conversationId);
    expect(again).toHaveLength(2);
    expect(again[1]).toMatchObject({ body: 'four', threadId: conversationId, badge: 5 });
  });

  test('read before the window ends: nothing is sent', async () => {
    const { ana, bo, token, conversationId } = await pair();
    await h.send(ana, conversationId, 'seen already');
    await h.markRead(bo, conversationId);
    h.clock.advance(3000);
    expect(await h.runDueJobs()).toEqual(['read']);
    expect(transport.to(token)).toHaveLength(0);
  });

  test('a recipient online (on any instance) gets no push; offline again, they do', async () => {
    const { ana, bo, token, conversationId } = await pair();
    h.presence.online.add(bo);
    await h.send(ana, conversationId, 'you are here');
    expect(h.queue.jobs).toHaveLength(0);

    h.presence.online.delete(bo);
    await h.send(ana, conversationId, 'you left');
    h.clock.advance(3000);
    await h.runDueJobs();
    // Only the message of the offline time counts.
    expect(transport.to(token).map((push) => push.body)).toEqual(['you left']);
  });

  test('coming online during the window drops the push', async () => {
    const { ana, bo, token, conversationId } = await pair();
    await h.send(ana, conversationId, 'hi');
    h.presence.online.add(bo);
    h.clock.advance(3000);
    expect(await h.runDueJobs()).toEqual(['online']);
    expect(transport.to(token)).toHaveLength(0);
  });

  test.each([
    ['push off', { pushEnabled: false }],
    ['newMessagePush off', { newMessagePush: false }],
  ])('%s: suppressed, nothing scheduled', async (_name, input) => {
    const { ana, bo, token, conversationId } = await pair();
    await h.prefs(bo, input);
    await h.send(ana, conversationId, 'hello?');
    expect(h.queue.jobs).toHaveLength(0);
    expect(transport.to(token)).toHaveLength(0);
  });

  test('no device: nothing scheduled', async () => {
    const { ana, conversationId } = await pair({ boDevice: false });
    const before = await metricValue(h.metrics, 'push_notifications_total', { outcome: 'no_device' });
    await h.send(ana, conversationId, 'anyone?');
    expect(h.queue.jobs).toHaveLength(0);
    expect(await metricValue(h.metrics, 'push_notifications_total', { outcome: 'no_device' })).toBe(before + 1);
  });

  test('turning push off during the window drops it', async () => {
    const { ana, bo, token, conversationId } = await pair();
    await h.send(ana, conversationId, 'hi');
    await h.prefs(bo, { newMessagePush: false });
    h.clock.advance(3000);
    expect(await h.runDueJobs()).toEqual(['suppressed']);
    expect(transport.to(token)).toHaveLength(0);
  });

  test('every device of the recipient gets it; an unregistered token is removed', async () => {
    const { ana, bo, token, conversationId } = await pair();
    const iphone = await h.device(bo, DevicePlatform.IOS);
    const stale = await h.device(bo, DevicePlatform.WEB);
    transport.script(stale, 'invalid_token');
    await h.send(ana, conversationId, 'to all');
    h.clock.advance(3000);
    await h.runDueJobs();
    expect([token, iphone, stale].map((t) => transport.to(t).length)).toEqual([1, 1, 1]);
    const devices = await h.settings.devices(h.em(), bo);
    expect(devices.map((device) => device.token).sort()).toEqual([token, iphone].sort());
    expect(await metricValue(h.metrics, 'push_tokens_deleted_total')).toBeGreaterThanOrEqual(1);
  });

  test('system messages do not push (the marketplace uses notifyUser)', async () => {
    const { conversationId } = await pair();
    await h.messages.postSystem({ conversationId, content: 'Application accepted' });
    await h.notifications.idle();
    expect(h.queue.jobs).toHaveLength(0);
  });
});

describe('quiet hours', () => {
  test('hold across midnight in the user zone, then one summary per conversation; a read conversation sends nothing', async () => {
    const bo = await h.user('Bo');
    const token = await h.device(bo);
    await h.prefs(bo, { quietHours: { enabled: true, start: '22:00', end: '07:30', timezone: 'America/New_York' } });
    const [ana, carla, dan] = [await h.user('Ana'), await h.user('Carla'), await h.user('Dan')];
    const [withAna, withCarla, withDan] = [await h.conversation(ana, bo), await h.conversation(carla, bo), await h.conversation(dan, bo)];

    // 23:10 in New York (EDT after the March change: UTC-4).
    h.clock.set('2026-03-11T03:10:00Z');
    await h.send(ana, withAna, 'late 1');
    h.clock.advance(60 * 60_000);
    await h.send(ana, withAna, 'late 2');
    await h.send(carla, withCarla, 'are you up?');
    await h.send(dan, withDan, 'never mind');
    await h.markRead(bo, withDan);
    h.clock.advance(2 * 60 * 60_000);
    await h.send(ana, withAna, 'late 3');

    const jobs = h.queue.jobs;
    expect(jobs).toHaveLength(3);
    for (const job of jobs) expect(job.at).toEqual(new Date('2026-03-11T11:30:00Z')); // 07:30 EDT
    h.clock.advance(60_000);
    expect(await h.runDueJobs()).toEqual([]); // still quiet: nothing is due
    expect(transport.to(token)).toHaveLength(0);

    h.clock.set('2026-03-11T11:30:00Z');
    expect((await h.runDueJobs()).sort()).toEqual(['read', 'sent', 'sent']);
    const pushes = transport.to(token);
    expect(pushes.map((push) => [push.collapseKey, push.body]).sort()).toEqual(
      [
        [withAna, '3 new messages from Ana'],
        [withCarla, 'are you up?'],
      ].sort(),
    );
  });

  test('a window that ends inside quiet hours is held until they end', async () => {
    const { ana, bo, token, conversationId } = await pair();
    await h.prefs(bo, { quietHours: { enabled: true, start: '22:00', end: '06:00', timezone: 'Europe/Madrid' } });
    h.clock.set('2026-07-01T19:59:59Z'); // 21:59:59 CEST: not quiet yet
    await h.send(ana, conversationId, 'just before');
    h.clock.advance(3000);
    expect(await h.runDueJobs()).toEqual(['deferred']);
    expect(h.queue.jobs).toEqual([expect.objectContaining({ at: new Date('2026-07-02T04:00:00Z') })]);
    h.clock.set('2026-07-02T04:00:00Z');
    expect(await h.runDueJobs()).toEqual(['sent']);
    expect(transport.to(token)).toHaveLength(1);
  });

  test('the spring-forward night in Europe/Madrid: an end at 02:30 (skipped) releases at 03:00 CEST', async () => {
    const { ana, bo, conversationId } = await pair();
    await h.prefs(bo, { quietHours: { enabled: true, start: '23:00', end: '02:30', timezone: 'Europe/Madrid' } });
    h.clock.set('2026-03-29T00:30:00Z'); // 01:30 CET
    await h.send(ana, conversationId, 'night');
    expect(h.queue.jobs.map((job) => job.at)).toEqual([new Date('2026-03-29T01:00:00Z')]); // 03:00 CEST
  });

  test('quiet hours in several zones decide by the local clock', async () => {
    const cases: [string, string, boolean][] = [
      ['Asia/Tokyo', '2026-01-15T14:00:00Z', true], // 23:00 JST
      ['Asia/Tokyo', '2026-01-15T00:00:00Z', false], // 09:00 JST
      ['Australia/Sydney', '2026-01-15T12:00:00Z', true], // 23:00 AEDT
      ['Asia/Kolkata', '2026-01-15T17:00:00Z', true], // 22:30 IST
      ['America/Los_Angeles', '2026-01-15T17:00:00Z', false], // 09:00 PST
      ['Pacific/Chatham', '2026-06-15T10:00:00Z', true], // 22:45 CHAST
    ];
    for (const [timezone, at, quiet] of cases) {
      const { ana, bo, conversationId } = await pair();
      await h.prefs(bo, { quietHours: { enabled: true, start: '22:00', end: '08:00', timezone } });
      h.clock.set(at);
      h.queue.jobs.length = 0;
      await h.send(ana, conversationId, 'ping');
      const [job] = h.queue.jobs;
      expect({ timezone, at, quiet: job.at.getTime() - h.clock.at.getTime() > 3000 }).toEqual({ timezone, at, quiet });
    }
  });
});

describe('notifyUser', () => {
  const notify = (userId: string, type: NotificationType, extra: object = {}) =>
    h.notifications.notifyUser(h.em(), { userId, type, title: 'New application', body: 'Ana applied to "Barista"', data: { applicationId: 'app-1' }, ...extra });

  test('SENT to every device, with the type and the data as strings', async () => {
    const bo = await h.user('Bo');
    const token = await h.device(bo, DevicePlatform.IOS);
    expect(await notify(bo, NotificationType.NEW_APPLICATION, { data: { applicationId: 'app-1', rank: 2 } })).toBe(NotificationOutcome.SENT);
    expect(transport.to(token)).toEqual([
      expect.objectContaining({
        title: 'New application',
        body: 'Ana applied to "Barista"',
        data: { applicationId: 'app-1', rank: '2', type: 'NEW_APPLICATION' },
        badge: 0,
      }),
    ]);
  });

  test.each([
    [NotificationType.NEW_APPLICATION, 'newApplicationPush'],
    [NotificationType.APPLICATION_STATUS_CHANGE, 'applicationStatusPush'],
    [NotificationType.NEW_REVIEW, 'newReviewPush'],
    [NotificationType.WORK_AGREEMENT_CONFIRMATION, 'workAgreementPush'],
    [NotificationType.WORK_AGREEMENT_ENDING, 'workAgreementPush'],
    [NotificationType.NEW_MESSAGE, 'newMessagePush'],
  ])('%s is SUPPRESSED by %s, and only by it', async (type, flag) => {
    const bo = await h.user('Bo');
    await h.device(bo);
    await h.prefs(bo, { [flag]: false });
    expect(await notify(bo, type)).toBe(NotificationOutcome.SUPPRESSED);
    const others = Object.values(NotificationType).filter((other) => other !== type && !(flag === 'workAgreementPush' && other.startsWith('WORK_AGREEMENT')));
    for (const other of others) expect(await notify(bo, other)).toBe(NotificationOutcome.SENT);
  });

  test('push off: SUPPRESSED; no device: NO_DEVICE (also for a user never seen)', async () => {
    const bo = await h.user('Bo');
    await h.device(bo);
    await h.prefs(bo, { pushEnabled: false });
    expect(await notify(bo, NotificationType.NEW_REVIEW)).toBe(NotificationOutcome.SUPPRESSED);
    expect(await notify(await h.user('Carla'), NotificationType.NEW_REVIEW)).toBe(NotificationOutcome.NO_DEVICE);
    expect(await notify('6b7c1a52-0f5e-4d4b-9a55-2f1c9b0a7e11', NotificationType.NEW_REVIEW)).toBe(NotificationOutcome.NO_DEVICE);
  });

  test('NEW_MESSAGE to an online user is SUPPRESSED; other types push regardless of presence', async () => {
    const bo = await h.user('Bo');
    await h.device(bo);
    h.presence.online.add(bo);
    expect(await notify(bo, NotificationType.NEW_MESSAGE)).toBe(NotificationOutcome.SUPPRESSED);
    expect(await notify(bo, NotificationType.NEW_REVIEW)).toBe(NotificationOutcome.SENT);
  });

  test('inside quiet hours: DEFERRED, held, and sent when they end', async () => {
    const bo = await h.user('Bo');
    const token = await h.device(bo);
    await h.prefs(bo, { quietHours: { enabled: true, start: '21:00', end: '07:00', timezone: 'Asia/Tokyo' } });
    h.clock.set('2026-05-01T13:00:00Z'); // 22:00 JST
    expect(await notify(bo, NotificationType.WORK_AGREEMENT_ENDING)).toBe(NotificationOutcome.DEFERRED);
    expect(h.queue.jobs).toEqual([expect.objectContaining({ name: 'deliver-held-notification', at: new Date('2026-05-01T22:00:00Z') })]);
    expect(transport.to(token)).toHaveLength(0);
    h.clock.set('2026-05-01T22:00:00Z');
    expect(await h.runDueJobs()).toEqual(['sent']);
    expect(transport.to(token)).toEqual([expect.objectContaining({ title: 'New application', data: expect.objectContaining({ type: 'WORK_AGREEMENT_ENDING' }) })]);
    // The job run again (a retry after a crash) sends nothing more.
    expect(await h.notifications.deliverHeld((await h.em().execute(`select id from push_notifications where user_id = ?`, [bo]))[0].id)).toBe('nothing');
    expect(transport.to(token)).toHaveLength(1);
  });

  test('every token unregistered: NO_DEVICE, and the devices are gone', async () => {
    const bo = await h.user('Bo');
    const token = await h.device(bo);
    transport.script(token, 'invalid_token');
    expect(await notify(bo, NotificationType.NEW_REVIEW)).toBe(NotificationOutcome.NO_DEVICE);
    expect(await h.settings.devices(h.em(), bo)).toEqual([]);
  });

  test.each([
    ['title', { title: '   ' }],
    ['body', { body: 'x'.repeat(1001) }],
    ['data', { data: { from: 'x' } }],
    ['userId', { userId: 'not-a-uuid' }],
  ])('refuses a bad %s with BAD_USER_INPUT', async (field, extra) => {
    const bo = await h.user('Bo');
    const error = await notify(bo, NotificationType.NEW_REVIEW, extra).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', extensions: { field } });
  });
});

describe('no duplicates, nothing lost', () => {
  test('a delivery job run twice sends once', async () => {
    const { ana, bo, token, conversationId } = await pair();
    await h.send(ana, conversationId, 'once');
    h.clock.advance(3000);
    expect(await h.notifications.deliverConversation(bo, conversationId)).toBe('sent');
    expect(await h.notifications.deliverConversation(bo, conversationId)).toBe('nothing');
    expect(transport.to(token)).toHaveLength(1);
  });

  test('a job killed between composing and sending is finished by its next run, once', async () => {
    const { ana, bo, token, conversationId } = await pair();
    await h.send(ana, conversationId, 'survives a crash');
    h.clock.advance(3000);
    jest.spyOn(h.delivery, 'send').mockRejectedValueOnce(new Error('process killed'));
    await expect(h.notifications.deliverConversation(bo, conversationId)).rejects.toThrow('process killed');
    expect(transport.to(token)).toHaveLength(0);

    expect(await h.notifications.deliverConversation(bo, conversationId)).toBe('nothing');
    expect(transport.to(token).map((push) => push.body)).toEqual(['survives a crash']);
    await h.notifications.deliverConversation(bo, conversationId);
    expect(transport.to(token)).toHaveLength(1);
  });

  test('a job killed while the provider call was in flight: nothing more within the lease, then sent again once (fault 5)', async () => {
    const hanging = new RecordingTransport();
    hanging.hang = true;
    const crashed = await PushHarness.create({ transport: hanging, orm: h.orm, clock: h.clock, presence: h.presence });
    const { ana, bo, token, conversationId } = await pair();
    await h.send(ana, conversationId, 'in flight');
    h.clock.advance(3000);
    void crashed.notifications.deliverConversation(bo, conversationId);
    const deadline = Date.now() + 5000;
    while (hanging.to(token).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(hanging.to(token)).toHaveLength(1);
    const state = async () =>
      (await h.em().execute(`select d.state from push_deliveries d join push_notifications n on n.id = d.notification_id where n.user_id = ?`, [bo]))[0].state;

    // "After the restart", the job runs again on a healthy process: within the lease, nothing.
    expect(await h.notifications.deliverConversation(bo, conversationId)).toBe('nothing');
    await h.notifications.maintain();
    expect(transport.to(token)).toHaveLength(0);
    expect(await state()).toBe('sending');

    // The lease ran out: maintenance sends it again, once, with the same collapse identity.
    await leaseRunsOut(h, bo);
    await h.notifications.maintain();
    expect(transport.to(token).map((push) => [push.body, push.collapseKey])).toEqual([['in flight', hanging.to(token)[0].collapseKey]]);
    expect(await state()).toBe('sent');
    await leaseRunsOut(h, bo);
    await h.notifications.maintain();
    expect(transport.to(token)).toHaveLength(1);
  });

  test('a delivery whose second lease runs out too ends failed, never a third send', async () => {
    const hanging = new RecordingTransport();
    hanging.hang = true;
    const crashed = await PushHarness.create({ transport: hanging, orm: h.orm, clock: h.clock, presence: h.presence });
    const { ana, bo, token, conversationId } = await pair();
    await h.send(ana, conversationId, 'twice in flight');
    h.clock.advance(3000);
    void crashed.notifications.deliverConversation(bo, conversationId);
    const deadline = Date.now() + 5000;
    while (hanging.to(token).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await leaseRunsOut(h, bo);
    void crashed.notifications.maintain();
    while (hanging.to(token).length < 2 && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 10));
    expect(hanging.to(token)).toHaveLength(2);

    await leaseRunsOut(h, bo);
    await h.notifications.maintain();
    expect(transport.to(token)).toHaveLength(0);
    const [row] = await h.em().execute(`select d.state, d.error from push_deliveries d join push_notifications n on n.id = d.notification_id where n.user_id = ?`, [bo]);
    expect(row).toEqual({ state: 'failed', error: 'lease expired twice' });
  });

  test('a batch whose job was lost is scheduled again by the next message and by maintenance', async () => {
    const { ana, bo, token, conversationId } = await pair();
    await h.send(ana, conversationId, 'first');
    h.queue.jobs.length = 0; // the process died before Agenda stored the job
    h.clock.advance(11 * 60_000);
    const { rescheduled } = await h.notifications.maintain();
    expect(rescheduled).toBeGreaterThanOrEqual(1);
    expect(h.queue.jobs).toContainEqual(expect.objectContaining({ data: { userId: bo, conversationId } }));
    await h.runDueJobs();
    expect(transport.to(token).map((push) => push.body)).toEqual(['first']);
  });
});
