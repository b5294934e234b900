import { twoTone } from '../fixtures/images/generate';
import { sendImage } from '../images-api/upload-client';
import { codes, conversationPair, startTestServer, type TestServer } from '../helpers/test-server';
import { EDIT, gql, MESSAGES, reasonOf, SEND } from './gql';

/** CONTACT_INFO_POLICY through the API: what a send and a caption store, and what flags say. */
const TEXT = 'Call me on 612 345 678, or see example.com';

type Sent = { sendMessage: { id: string; content: string; flags: string[] } };
type Edited = { editMessage: { id: string; content: string; flags: string[]; revision: number } };

async function storedContents(server: TestServer, conversationId: string, token: string) {
  const result = await gql<{ conversation: { messages: { edges: { node: { content: string; flags: string[] } }[] } } }>(server, MESSAGES, { id: conversationId }, token);
  return result.data!.conversation.messages.edges.map(({ node }) => ({ content: node.content, flags: node.flags }));
}

describe.each(['flag', 'mask', 'block'] as const)('CONTACT_INFO_POLICY=%s', (policy) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ CONTACT_INFO_POLICY: policy });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('a text message with contact info', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const sent = await gql<Sent>(server, SEND, { input: { conversationId, content: TEXT } }, ana.token);
    if (policy === 'block') {
      expect([codes(sent), reasonOf(sent)]).toEqual([['BAD_USER_INPUT'], 'CONTACT_INFO']);
      expect(await storedContents(server, conversationId, bo.token)).toEqual([]);
      return;
    }
    const content = policy === 'mask' ? 'Call me on [hidden], or see example.com' : TEXT;
    expect(sent.data!.sendMessage).toMatchObject({ content, flags: ['CONTACT_INFO', 'EXTERNAL_LINK'] });
    expect(await storedContents(server, conversationId, bo.token)).toEqual([{ content, flags: ['CONTACT_INFO', 'EXTERNAL_LINK'] }]);
  });

  test('a caption with contact info; a plain text is stored as written and unflagged', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const image = await sendImage(server, { conversationId, caption: 'write to ana at gmail dot com' }, await twoTone(32, 32).jpeg().toBuffer(), { token: ana.token });
    if (policy === 'block') {
      expect([codes(image), image.errors?.[0]?.extensions?.reason]).toEqual([['BAD_USER_INPUT'], 'CONTACT_INFO']);
    } else {
      expect(image.errors).toBeUndefined();
    }
    const plain = await gql<Sent>(server, SEND, { input: { conversationId, content: 'I can start at 9, it is 120 euros' } }, ana.token);
    expect(plain.data!.sendMessage).toMatchObject({ content: 'I can start at 9, it is 120 euros', flags: [] });
    const stored = await storedContents(server, conversationId, bo.token);
    const caption = { flag: 'write to ana at gmail dot com', mask: 'write to [hidden]' }[policy as 'flag' | 'mask'];
    expect(stored).toEqual([
      ...(policy === 'block' ? [] : [{ content: caption, flags: ['CONTACT_INFO'] }]),
      { content: 'I can start at 9, it is 120 euros', flags: [] },
    ]);
  });

  test('an edit is checked as a send: contact info added by an edit, then edited away', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const sent = await gql<Sent>(server, SEND, { input: { conversationId, content: 'See you at 9' } }, ana.token);
    const messageId = sent.data!.sendMessage.id;
    const edited = await gql<Edited>(server, EDIT, { input: { messageId, content: TEXT } }, ana.token);
    if (policy === 'block') {
      expect([codes(edited), reasonOf(edited)]).toEqual([['BAD_USER_INPUT'], 'CONTACT_INFO']);
      expect(await storedContents(server, conversationId, bo.token)).toEqual([{ content: 'See you at 9', flags: [] }]);
      return;
    }
    const content = policy === 'mask' ? 'Call me on [hidden], or see example.com' : TEXT;
    expect(edited.data!.editMessage).toMatchObject({ content, flags: ['CONTACT_INFO', 'EXTERNAL_LINK'] });
    expect(await storedContents(server, conversationId, bo.token)).toEqual([{ content, flags: ['CONTACT_INFO', 'EXTERNAL_LINK'] }]);
    // Editing the same text again changes nothing (masked or not); a clean edit clears the flags.
    const again = await gql<Edited>(server, EDIT, { input: { messageId, content: TEXT } }, ana.token);
    expect(again.data!.editMessage.revision).toBe(edited.data!.editMessage.revision);
    const clean = await gql<Edited>(server, EDIT, { input: { messageId, content: 'See you at 10' } }, ana.token);
    expect(clean.data!.editMessage).toMatchObject({ content: 'See you at 10', flags: [] });
  });
});
