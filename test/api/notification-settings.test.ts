import { randomUUID } from 'node:crypto';
import {
  NotificationPreferencesDocument,
  PushDevicesDocument,
  RegisterPushDeviceDocument,
  UnregisterPushDeviceDocument,
  UpdateNotificationPreferencesDocument,
} from '../generated/graphql';
import { actor, startTestServer, type TestServer, codes } from '../helpers/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe('notification preferences', () => {
  test('default to everything on and quiet hours off (22:00-08:00 UTC)', async () => {
    const ana = await actor(server, 'Ana');
    const result = await server.request(NotificationPreferencesDocument, {}, ana.token);
    expect(result.data!.notificationPreferences).toEqual({
      pushEnabled: true,
      emailEnabled: true,
      newMessagePush: true,
      newApplicationPush: true,
      applicationStatusPush: true,
      newReviewPush: true,
      workAgreementPush: true,
      quietHours: { enabled: false, start: '22:00', end: '08:00', timezone: 'UTC' },
    });
  });

  test('an update changes the given fields only, and is kept', async () => {
    const ana = await actor(server, 'Ana');
    await server.request(UpdateNotificationPreferencesDocument, { input: { newReviewPush: false, quietHours: { enabled: true, timezone: 'Europe/Madrid' } } }, ana.token);
    await server.request(UpdateNotificationPreferencesDocument, { input: { emailEnabled: false, quietHours: { start: '23:30' } } }, ana.token);
    const stored = await server.request(NotificationPreferencesDocument, {}, ana.token);
    expect(stored.data!.notificationPreferences).toMatchObject({
      emailEnabled: false,
      newReviewPush: false,
      pushEnabled: true,
      quietHours: { enabled: true, start: '23:30', end: '08:00', timezone: 'Europe/Madrid' },
    });
  });

  test.each([
    [{ quietHours: { start: '24:00' } }],
    [{ quietHours: { end: '7:00' } }],
    [{ quietHours: { start: '22:60' } }],
    [{ quietHours: { timezone: 'Mars/Olympus' } }],
    [{ quietHours: { timezone: 'CEST+2' } }],
  ])('refuses %j with BAD_USER_INPUT and writes nothing', async (input) => {
    const ana = await actor(server, 'Ana');
    const result = await server.request(UpdateNotificationPreferencesDocument, { input: { pushEnabled: false, ...input } }, ana.token);
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    const stored = await server.request(NotificationPreferencesDocument, {}, ana.token);
    expect(stored.data!.notificationPreferences.pushEnabled).toBe(true);
  });
});

describe('push devices', () => {
  test('register is idempotent, lists, and unregister answers whether it removed one', async () => {
    const ana = await actor(server, 'Ana');
    const token = `fcm-${randomUUID()}`;
    const first = await server.request(RegisterPushDeviceDocument, { input: { token, platform: 'IOS' } }, ana.token);
    const again = await server.request(RegisterPushDeviceDocument, { input: { token, platform: 'IOS' } }, ana.token);
    expect(again.data!.registerPushDevice.id).toBe(first.data!.registerPushDevice.id);
    const listed = await server.request(PushDevicesDocument, {}, ana.token);
    expect(listed.data!.pushDevices).toHaveLength(1);
    expect(listed.data!.pushDevices[0]).toMatchObject({ id: first.data!.registerPushDevice.id, platform: 'IOS' });
    expect(listed.data!.pushDevices[0].lastSeenAt).toBeTruthy();

    expect((await server.request(UnregisterPushDeviceDocument, { token }, ana.token)).data!.unregisterPushDevice).toBe(true);
    expect((await server.request(UnregisterPushDeviceDocument, { token }, ana.token)).data!.unregisterPushDevice).toBe(false);
    expect((await server.request(PushDevicesDocument, {}, ana.token)).data!.pushDevices).toEqual([]);
  });

  test('a token moves to the user who registers it last; others cannot remove it', async () => {
    const [ana, bo] = await Promise.all([actor(server, 'Ana'), actor(server, 'Bo')]);
    const token = `fcm-${randomUUID()}`;
    await server.request(RegisterPushDeviceDocument, { input: { token, platform: 'ANDROID' } }, ana.token);
    await server.request(RegisterPushDeviceDocument, { input: { token, platform: 'ANDROID' } }, bo.token);
    expect((await server.request(PushDevicesDocument, {}, ana.token)).data!.pushDevices).toEqual([]);
    expect((await server.request(UnregisterPushDeviceDocument, { token }, ana.token)).data!.unregisterPushDevice).toBe(false);
    expect((await server.request(PushDevicesDocument, {}, bo.token)).data!.pushDevices).toHaveLength(1);
  });

  test('an empty or huge token is refused', async () => {
    const ana = await actor(server, 'Ana');
    for (const token of ['   ', 'x'.repeat(5000)]) {
      const result = await server.request(RegisterPushDeviceDocument, { input: { token, platform: 'WEB' } }, ana.token);
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    }
  });
});
