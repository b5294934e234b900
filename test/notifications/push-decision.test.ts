import { NotificationType } from '../../src/schema/common/enums';
import {
  decideBatchGate,
  decideBatchSend,
  decideHeldRelease,
  decideNewMessage,
  decideNotify,
  dueState,
  quietHoursUntil,
  type Recipient,
} from '../../src/services/notification/push-decision';
import { sendOutcome, toNotificationOutcome } from '../../src/services/notification/push-outcome';

/** The pure push rules alone: no database, no presence, no clock but the one passed in. */

const NOON = new Date('2026-06-01T12:00:00Z');
const NIGHT = new Date('2026-06-01T23:00:00Z');
const MORNING = new Date('2026-06-02T08:00:00Z');

function recipient(overrides: Partial<Recipient> = {}, flags: Partial<Recipient['flags']> = {}): Recipient {
  return {
    pushEnabled: true,
    flags: {
      NEW_MESSAGE: true,
      NEW_APPLICATION: true,
      APPLICATION_STATUS_CHANGE: true,
      NEW_REVIEW: true,
      WORK_AGREEMENT_CONFIRMATION: true,
      WORK_AGREEMENT_ENDING: true,
      ...flags,
    },
    quietHours: { enabled: false, start: '22:00', end: '08:00', timezone: 'UTC' },
    deviceIds: ['device-1'],
    ...overrides,
  };
}
const quiet = (): Partial<Recipient> => ({ quietHours: { enabled: true, start: '22:00', end: '08:00', timezone: 'UTC' } });

describe('quiet hours and due times', () => {
  test('inside quiet hours: until their end; outside: null', () => {
    expect(quietHoursUntil(recipient(quiet()).quietHours, NIGHT)).toEqual({ until: MORNING });
    expect(quietHoursUntil(recipient(quiet()).quietHours, NOON)).toEqual({ until: null });
  });

  test('quiet hours that cannot be judged never hold, and say why', () => {
    const judged = quietHoursUntil({ enabled: true, start: '22:00', end: '08:00', timezone: '+02:00' }, NIGHT);
    expect(judged.until).toBeNull();
    expect(judged.quietHoursError).toBeDefined();
  });

  test('due within a second of the clock', () => {
    expect(dueState(null, NOON)).toBe('nothing');
    expect(dueState(new Date(NOON.getTime() + 1000), NOON)).toBe('due');
    expect(dueState(new Date(NOON.getTime() + 1001), NOON)).toBe('not_due');
    expect(dueState(new Date(0), NOON)).toBe('due');
  });
});

describe('a new message', () => {
  const offline = (r: Recipient, now = NOON) => decideNewMessage({ online: false, recipient: r, now, batchWindowMs: 3000 });

  test('online first, then preferences, then devices', () => {
    expect(decideNewMessage({ online: true })).toEqual({ outcome: 'online' });
    expect(offline(recipient({ pushEnabled: false })).outcome).toBe('suppressed');
    expect(offline(recipient({}, { NEW_MESSAGE: false })).outcome).toBe('suppressed');
    expect(offline(recipient({ deviceIds: [] })).outcome).toBe('no_device');
    // Other types' flags do not matter.
    expect(offline(recipient({}, { NEW_REVIEW: false })).outcome).toBe('batched');
  });

  test('a batch due when the window ends, or when quiet hours end', () => {
    expect(offline(recipient())).toMatchObject({ outcome: 'batched', dueAt: new Date(NOON.getTime() + 3000) });
    expect(offline(recipient(quiet()), NIGHT)).toMatchObject({ outcome: 'deferred', dueAt: MORNING });
    expect(offline(recipient({ ...quiet(), deviceIds: [] }), NIGHT).outcome).toBe('no_device');
  });
});

describe('a due batch', () => {
  test('gate: preferences turned off, quiet hours now, or open', () => {
    expect(decideBatchGate(recipient({}, { NEW_MESSAGE: false }), NOON).outcome).toBe('suppressed');
    expect(decideBatchGate(recipient(quiet()), NIGHT)).toEqual({ outcome: 'deferred', until: MORNING });
    expect(decideBatchGate(recipient(), NOON).outcome).toBe('open');
  });

  test('read before presence, presence before devices', () => {
    expect(decideBatchSend({ recipient: recipient(), hasUnread: false })).toEqual({ outcome: 'read' });
    expect(decideBatchSend({ recipient: recipient(), hasUnread: true })).toEqual({ outcome: 'needs_presence' });
    expect(decideBatchSend({ recipient: recipient({ deviceIds: [] }), hasUnread: true, online: true })).toEqual({ outcome: 'online' });
    expect(decideBatchSend({ recipient: recipient({ deviceIds: [] }), hasUnread: true, online: false })).toEqual({ outcome: 'no_device' });
    expect(decideBatchSend({ recipient: recipient(), hasUnread: true, online: false })).toEqual({ outcome: 'sent' });
  });
});

describe('a held notifyUser notification', () => {
  const held = (r: Recipient, type: NotificationType, now = NOON, online?: boolean) => decideHeldRelease({ recipient: r, type, now, online });

  test('preferences, then quiet hours, then devices', () => {
    expect(held(recipient({}, { NEW_REVIEW: false }), NotificationType.NEW_REVIEW).outcome).toBe('suppressed');
    expect(held(recipient({ ...quiet(), deviceIds: [] }), NotificationType.NEW_REVIEW, NIGHT)).toMatchObject({ outcome: 'deferred', until: MORNING });
    expect(held(recipient({ deviceIds: [] }), NotificationType.NEW_REVIEW).outcome).toBe('no_device');
    expect(held(recipient(), NotificationType.NEW_REVIEW).outcome).toBe('sent');
  });

  test('presence only for NEW_MESSAGE', () => {
    expect(held(recipient(), NotificationType.NEW_MESSAGE).outcome).toBe('needs_presence');
    expect(held(recipient(), NotificationType.NEW_MESSAGE, NOON, true).outcome).toBe('online');
    expect(held(recipient(), NotificationType.NEW_MESSAGE, NOON, false).outcome).toBe('sent');
    expect(held(recipient(), NotificationType.WORK_AGREEMENT_ENDING, NOON, true).outcome).toBe('sent');
  });
});

describe('notifyUser', () => {
  const notify = (r: Recipient, type: NotificationType, now = NOON, online?: boolean) => decideNotify({ recipient: r, type, now, online });

  test('preferences, devices, then quiet hours', () => {
    expect(notify(recipient({ pushEnabled: false }), NotificationType.NEW_APPLICATION).outcome).toBe('suppressed');
    // Both work-agreement types follow one flag (the reader sets both from workAgreementPush).
    expect(notify(recipient({}, { WORK_AGREEMENT_ENDING: false }), NotificationType.WORK_AGREEMENT_ENDING).outcome).toBe('suppressed');
    expect(notify(recipient({ ...quiet(), deviceIds: [] }), NotificationType.NEW_REVIEW, NIGHT).outcome).toBe('no_device');
    expect(notify(recipient(quiet()), NotificationType.NEW_REVIEW, NIGHT)).toMatchObject({ outcome: 'deferred', until: MORNING });
    expect(notify(recipient(), NotificationType.NEW_REVIEW).outcome).toBe('sent');
  });

  test('NEW_MESSAGE to someone online is suppressed; other types push regardless', () => {
    expect(notify(recipient(), NotificationType.NEW_MESSAGE).outcome).toBe('needs_presence');
    expect(notify(recipient(), NotificationType.NEW_MESSAGE, NOON, true).outcome).toBe('suppressed');
    expect(notify(recipient(quiet()), NotificationType.NEW_MESSAGE, NIGHT, false).outcome).toBe('deferred');
    expect(notify(recipient(), NotificationType.NEW_REVIEW, NOON, true).outcome).toBe('sent');
  });
});

describe('the outcome vocabulary', () => {
  test("notifyUser's outcomes map to the contract's enum", () => {
    expect(['sent', 'deferred', 'suppressed', 'no_device'].map((o) => toNotificationOutcome(o as 'sent'))).toEqual(['SENT', 'DEFERRED', 'SUPPRESSED', 'NO_DEVICE']);
  });

  test("a provider's answer as an outcome", () => {
    expect(sendOutcome({ sent: 1, invalidTokens: 1, failed: 1 })).toBe('sent');
    expect(sendOutcome({ sent: 0, invalidTokens: 2, failed: 0 })).toBe('no_device');
    expect(sendOutcome({ sent: 0, invalidTokens: 1, failed: 1 })).toBe('failed');
    expect(sendOutcome({ sent: 0, invalidTokens: 0, failed: 0 })).toBe('nothing');
  });
});
