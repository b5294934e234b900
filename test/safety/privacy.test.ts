import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { twoTone } from '../fixtures/images/generate';
import { localObjects, sendImage } from '../images-api/upload-client';
import { actor, codes, startTestServer, testDataDir, type TestServer } from '../helpers/test-server';
import { BLOCK, EDIT, gql, REACT, REPORT_MESSAGE, REPORT_USER, SEND } from './gql';

const EXPORT = 'mutation ($userId: ID!) { exportUserData(userId: $userId) { url expiresAt } }';
const ERASE = 'mutation ($userId: ID!) { eraseUser(userId: $userId) }';
const REGISTER_DEVICE = 'mutation ($input: RegisterPushDeviceInput!) { registerPushDevice(input: $input) { id } }';
const UPSERT_USER = 'mutation ($input: UpsertUserInput!) { upsertUser(input: $input) { id } }';

/** Every text column of every table of the public schema that holds `needle` (as a row's text). */
async function tablesHolding(server: TestServer, needle: string): Promise<string[]> {
  const em = server.service.orm.em.fork();
  const tables = await em.execute(`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`);
  const found: string[] = [];
  for (const { table_name: table } of tables) {
    const [row] = await em.execute(`select count(*)::int as n from "${String(table)}" t where t::text ilike ?`, [`%${needle}%`]);
    if (Number(row.n) > 0) found.push(String(table));
  }
  return found;
}

/** Every stored object file (and sidecar) under the local storage directory that holds `needle`. */
async function filesHolding(directory: string, needle: string): Promise<string[]> {
  const entries = await fs.readdir(directory, { recursive: true, withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    if ((await fs.readFile(file)).includes(needle)) found.push(file);
  }
  return found;
}

describe('personal data: export and erasure', () => {
  let server: TestServer;
  let service: string;
  const dataDir = testDataDir(`privacy-${randomUUID()}`);

  beforeAll(async () => {
    server = await startTestServer({ DATA_DIR: dataDir });
    service = await server.serviceToken();
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** Ana with a unique name, texts, an image with a caption, a device, a block and reports both ways. */
  async function anaWithData() {
    const marker = randomUUID().slice(0, 8);
    const name = `Zelda Erasable ${marker}`;
    const anaId = randomUUID();
    const anaToken = await server.token(anaId, { name });
    const bo = await actor(server, 'Bo');
    const carol = await actor(server, 'Carol');
    await gql(server, 'query { me { id } }', {}, bo.token);
    await gql(server, 'query { me { id } }', {}, carol.token);
    const started = await gql<{ startConversation: { id: string } }>(server, 'mutation ($input: StartConversationInput!) { startConversation(input: $input) { id } }', { input: { participantId: bo.id } }, anaToken);
    const conversationId = started.data!.startConversation.id;
    const texts = [`ana text one ${marker}`, `ana text two ${marker}`];
    const sent: string[] = [];
    for (const content of texts) sent.push((await gql<{ sendMessage: { id: string } }>(server, SEND, { input: { conversationId, content } }, anaToken)).data!.sendMessage.id);
    // The second text is edited: its first version lives on only in the edit history.
    const firstVersion = `ana first version ${marker}`;
    sent.push((await gql<{ sendMessage: { id: string } }>(server, SEND, { input: { conversationId, content: firstVersion } }, anaToken)).data!.sendMessage.id);
    const editedText = `ana edited text ${marker}`;
    expect((await gql(server, EDIT, { input: { messageId: sent[2], content: editedText } }, anaToken)).errors).toBeUndefined();
    texts.push(editedText);
    const boText = `bo reply ${marker}`;
    const boMessage = (await gql<{ sendMessage: { id: string } }>(server, SEND, { input: { conversationId, content: boText } }, bo.token)).data!.sendMessage.id;
    // Reactions both ways: hers on Bo's message, his on hers.
    expect((await gql(server, REACT, { messageId: boMessage, emoji: '👍' }, anaToken)).errors).toBeUndefined();
    expect((await gql(server, REACT, { messageId: sent[0], emoji: '🎉' }, bo.token)).errors).toBeUndefined();
    const email = `zelda.${marker}@example.org`;
    expect((await gql(server, UPSERT_USER, { input: { id: anaId, email } }, await server.serviceToken())).errors).toBeUndefined();
    const caption = `ana caption ${marker}`;
    const image = await sendImage(server, { conversationId, caption }, await twoTone(64, 48).jpeg().toBuffer(), { token: anaToken });
    expect(image.errors).toBeUndefined();
    const deviceToken = `device-token-${marker}`;
    expect((await gql(server, REGISTER_DEVICE, { input: { token: deviceToken, platform: 'ANDROID' } }, anaToken)).errors).toBeUndefined();
    await gql(server, BLOCK, { userId: carol.id }, anaToken);
    const details = `ana report details ${marker}`;
    await gql(server, REPORT_USER, { input: { userId: bo.id, reason: 'SPAM', details, conversationId } }, anaToken);
    await gql(server, REPORT_MESSAGE, { input: { messageId: sent[0], reason: 'HARASSMENT', details: `bo about ana ${marker}` } }, bo.token);
    return { marker, name, email, anaId, anaToken, bo, carol, conversationId, texts, firstVersion, caption, deviceToken, details, boText, boMessage };
  }

  test('exportUserData: service role only; one JSON document behind a 24-hour URL, without tokens or evidence', async () => {
    const ana = await anaWithData();
    expect(codes(await gql(server, EXPORT, { userId: ana.anaId }, ana.anaToken))).toEqual(['FORBIDDEN']);
    expect(codes(await gql(server, EXPORT, { userId: randomUUID() }, service))).toEqual(['NOT_FOUND']);
    const result = await gql<{ exportUserData: { url: string; expiresAt: string } }>(server, EXPORT, { userId: ana.anaId }, service);
    expect(result.errors).toBeUndefined();
    const { url, expiresAt } = result.data!.exportUserData;
    const hours = (Date.parse(expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const text = await response.text();
    const doc = JSON.parse(text);
    expect(doc.user).toMatchObject({ id: ana.anaId, displayName: ana.name, email: ana.email });
    expect(doc.devices).toEqual([expect.objectContaining({ platform: 'ANDROID' })]);
    expect(text).not.toContain(ana.deviceToken);
    expect(doc.conversations).toHaveLength(1);
    const contents = doc.conversations[0].messages.map((m: { content: string | null }) => m.content);
    expect(contents).toEqual([...ana.texts, ana.boText, ana.caption]);
    const messages = doc.conversations[0].messages;
    expect(messages[2]).toMatchObject({ content: ana.texts[2], editedAt: expect.any(String), deletedAt: null });
    expect(text).not.toContain(ana.firstVersion); // earlier versions are not the user's to see either
    expect(messages[0].reactions).toEqual([{ emoji: '🎉', count: 1, userIds: [ana.bo.id] }]);
    expect(messages[3].reactions).toEqual([{ emoji: '👍', count: 1, userIds: [ana.anaId] }]);
    const image = messages[4].image;
    expect((await fetch(image.thumbnailUrl)).status).toBe(200);
    expect(doc.blocks).toEqual([expect.objectContaining({ blockedUserId: ana.carol.id })]);
    // Her own report without evidence; Bo's report about her is his, not hers.
    expect(doc.reports).toEqual([expect.objectContaining({ reportedUserId: ana.bo.id, details: ana.details })]);
    expect(text).not.toContain('evidence');
    expect(text).not.toContain(`bo about ana ${ana.marker}`);
  });

  test('eraseUser: nothing of the user is left in any table or in the storage; the other side keeps the conversation', async () => {
    const objects = path.join(dataDir, 'objects');
    const before = new Set(await localObjects(objects));
    const ana = await anaWithData();
    await gql(server, EXPORT, { userId: ana.anaId }, service);
    const hers = (await localObjects(objects)).filter((file) => !before.has(file));
    expect(hers).toHaveLength(4); // three image renditions and the export
    expect(codes(await gql(server, ERASE, { userId: ana.anaId }, ana.anaToken))).toEqual(['FORBIDDEN']);
    expect((await gql(server, ERASE, { userId: ana.anaId }, service)).data).toEqual({ eraseUser: true });
    expect((await gql(server, ERASE, { userId: ana.anaId }, service)).data).toEqual({ eraseUser: false });
    expect((await gql(server, ERASE, { userId: randomUUID() }, service)).data).toEqual({ eraseUser: false });

    for (const needle of [ana.name, ana.email, ana.deviceToken, ana.details, ana.firstVersion]) {
      expect([needle, await tablesHolding(server, needle)]).toEqual([needle, []]);
    }
    // Her texts and caption survive only as the evidence of the two reports (the contract: reports
    // keep their evidence), under the anonymous id.
    for (const text of [...ana.texts, ana.caption]) expect([text, await tablesHolding(server, text)]).toEqual([text, ['report_evidence']]);
    const em = server.service.orm.em.fork();
    expect(await em.execute('select 1 from report_evidence where sender_id = ?', [ana.anaId])).toEqual([]);
    expect(await tablesHolding(server, ana.anaId)).toEqual(['audit_log']);
    expect((await localObjects(objects)).filter((file) => hers.includes(file))).toEqual([]);
    for (const needle of [ana.name, ana.texts[0], ana.caption]) expect(await filesHolding(objects, needle)).toEqual([]);
    const audit = await em.execute(`select data from audit_log where action = 'user.erased' and entity_id = ?`, [ana.anaId]);
    expect(audit).toHaveLength(1);

    // Bo keeps the conversation with an anonymous participant and tombstones where her messages were.
    const view = await gql<{ conversation: { otherParticipant: { id: string; displayName: string | null }; messages: { edges: { node: { content: string | null } }[] } } }>(
      server,
      'query ($id: ID!) { conversation(id: $id) { otherParticipant { id displayName } messages { edges { node { content } } } } }',
      { id: ana.conversationId },
      ana.bo.token,
    );
    expect(view.data!.conversation.otherParticipant.id).not.toBe(ana.anaId);
    expect(view.data!.conversation.otherParticipant.displayName).toBeNull();
    expect(view.data!.conversation.messages.edges.map((edge) => edge.node.content)).toEqual([null, null, null, ana.boText, null]);
    // Tombstones as deleteMessage leaves them: deletedAt, no reactions, each with a revision of its own.
    const tombstones = await em.execute(
      `select m.id, m.revision, m.deleted_at, c.last_revision from messages m join conversations c on c.id = m.conversation_id
       where m.conversation_id = ? and m.sender_id <> ? order by m.sequence`,
      [ana.conversationId, ana.bo.id],
    );
    expect(tombstones).toHaveLength(4); // three texts and the image
    expect(tombstones.every((row) => row.deleted_at !== null)).toBe(true);
    const revisions = tombstones.map((row) => Number(row.revision));
    expect(new Set(revisions).size).toBe(revisions.length);
    expect(Math.max(...revisions)).toBe(Number(tombstones[0].last_revision));
    const tombstoneIds = JSON.stringify(tombstones.map((row) => row.id));
    expect(await em.execute('select 1 from message_reactions where message_id in (select jsonb_array_elements_text(?::jsonb)::uuid)', [tombstoneIds])).toEqual([]);

    // The same sub later: a fresh, empty user.
    const again = await gql<{ me: { id: string; displayName: string } }>(server, 'query { me { id displayName } }', {}, await server.token(ana.anaId, { name: 'New Person' }));
    expect(again.data!.me).toEqual({ id: ana.anaId, displayName: 'New Person' });
    const fresh = await server.token(ana.anaId);
    expect((await gql(server, 'query { conversations { edges { node { id } } } }', {}, fresh)).data).toEqual({ conversations: { edges: [] } });
    expect((await gql(server, 'query { blockedUsers { id } }', {}, fresh)).data).toEqual({ blockedUsers: [] });
  });
});

describe('exportUserData for a large user', () => {
  let server: TestServer;

  beforeAll(async () => {
    // Every user counts as large: the export-user-data job writes the document.
    server = await startTestServer({ EXPORT_INLINE_MAX_MESSAGES: '0', JOBS_PROCESS_EVERY_MS: '200' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('the URL is answered at once and serves the document once the job has written it', async () => {
    const ana = await actor(server, 'Ana Large');
    const bo = await actor(server, 'Bo');
    await gql(server, 'query { me { id } }', {}, bo.token);
    const started = await gql<{ startConversation: { id: string } }>(server, 'mutation ($input: StartConversationInput!) { startConversation(input: $input) { id } }', { input: { participantId: bo.id } }, ana.token);
    await gql(server, SEND, { input: { conversationId: started.data!.startConversation.id, content: 'one of many' } }, ana.token);
    const result = await gql<{ exportUserData: { url: string } }>(server, EXPORT, { userId: ana.id }, await server.serviceToken());
    const { url } = result.data!.exportUserData;
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await fetch(url)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
    const doc = (await (await fetch(url)).json()) as { user: unknown; conversations: { messages: { content: string }[] }[] };
    expect(doc.user).toMatchObject({ id: ana.id, displayName: 'Ana Large' });
    expect(doc.conversations[0].messages.map((m: { content: string }) => m.content)).toEqual(['one of many']);
  });
});
