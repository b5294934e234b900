import { randomUUID } from 'node:crypto';
import { actor, codes, conversationPair, startTestServer, type TestServer } from '../helpers/test-server';
import { BLOCKED_USERS, gql, REPORT_MESSAGE, REPORT_USER, REPORTS, RESOLVE, SEND, type ReportView } from './gql';

/** Reports with evidence, the moderation queue and its permissions (CONTRACT.md "Blocking, reports and detection"). */
describe('reports', () => {
  let server: TestServer;
  let service: string;

  beforeAll(async () => {
    server = await startTestServer();
    service = await server.serviceToken();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const db = () => server.service.orm.em.fork();

  async function sendMany(conversationId: string, token: string, count: number, prefix: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 1; i <= count; i++) {
      const sent = await gql<{ sendMessage: { id: string } }>(server, SEND, { input: { conversationId, content: `${prefix} ${i}` } }, token);
      ids.push(sent.data!.sendMessage.id);
    }
    return ids;
  }

  test('reportMessage copies the message and the 20 before it; later edits and deletions leave the copy as it was', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const ids = await sendMany(conversationId, bo.token, 25, 'bo says');
    const reported = ids[22]; // sequence 23
    const result = await gql<{ reportMessage: ReportView }>(server, REPORT_MESSAGE, { input: { messageId: reported, reason: 'SCAM', details: 'asks for money' } }, ana.token);
    expect(result.errors).toBeUndefined();
    const report = result.data!.reportMessage;
    // The reporter sees the report without evidence or note.
    expect(report).toMatchObject({ status: 'OPEN', reason: 'SCAM', reporter: { id: ana.id }, reportedUser: { id: bo.id }, conversationId, messageId: reported, evidence: [], resolutionNote: null });

    // What an edit and a deletion do to the messages (editMessage / deleteMessage live elsewhere).
    await db().execute(`update messages set content = 'edited away' where id = ?`, [reported]);
    await db().execute(`update messages set content = null where id = ?`, [ids[5]]);

    const queue = await gql<{ reports: { edges: { node: ReportView }[] } }>(server, REPORTS, {}, service);
    const seen = queue.data!.reports.edges.find((edge) => edge.node.id === report.id)!.node;
    expect(seen.evidence.map((e) => e.sequence)).toEqual(Array.from({ length: 21 }, (_, i) => i + 3));
    expect(seen.evidence.at(-1)).toEqual({ messageId: reported, sequence: 23, senderId: bo.id, content: 'bo says 23' });
    expect(seen.evidence.find((e) => e.sequence === 6)!.content).toBe('bo says 6');

    // Again by the same reporter: the first report, no second row.
    const again = await gql<{ reportMessage: ReportView }>(server, REPORT_MESSAGE, { input: { messageId: reported, reason: 'SPAM' } }, ana.token);
    expect(again.data!.reportMessage).toMatchObject({ id: report.id, reason: 'SCAM' });
    const audit = await db().execute(`select action, data from audit_log where entity_type = 'report' and entity_id = ?`, [report.id]);
    expect(audit).toEqual([{ action: 'report.created', data: { reason: 'SCAM' } }]);
  });

  test('reportMessage: own message BAD_USER_INPUT, an outsider or unknown id NOT_FOUND; block: true blocks', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    const [own] = await sendMany(conversationId, ana.token, 1, 'mine');
    const [theirs] = await sendMany(conversationId, bo.token, 1, 'theirs');
    const outsider = await actor(server, 'Olga');
    expect(codes(await gql(server, REPORT_MESSAGE, { input: { messageId: own, reason: 'SPAM' } }, ana.token))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await gql(server, REPORT_MESSAGE, { input: { messageId: theirs, reason: 'SPAM' } }, outsider.token))).toEqual(['NOT_FOUND']);
    expect(codes(await gql(server, REPORT_MESSAGE, { input: { messageId: randomUUID(), reason: 'SPAM' } }, ana.token))).toEqual(['NOT_FOUND']);
    expect(codes(await gql(server, REPORT_MESSAGE, { input: { messageId: theirs, reason: 'SPAM' } }, service))).toEqual(['FORBIDDEN']);
    const reported = await gql(server, REPORT_MESSAGE, { input: { messageId: theirs, reason: 'HARASSMENT', block: true } }, ana.token);
    expect(reported.errors).toBeUndefined();
    expect((await gql(server, BLOCKED_USERS, {}, ana.token)).data).toEqual({ blockedUsers: [{ id: bo.id }] });
  });

  test('reportUser: someone the viewer shares a conversation with; with conversationId its last 20 messages, without none', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    await sendMany(conversationId, bo.token, 22, 'line');
    const outsider = await actor(server, 'Olga');
    await gql(server, 'query { me { id } }', {}, outsider.token);
    expect(codes(await gql(server, REPORT_USER, { input: { userId: outsider.id, reason: 'SPAM' } }, ana.token))).toEqual(['NOT_FOUND']);
    expect(codes(await gql(server, REPORT_USER, { input: { userId: ana.id, reason: 'SPAM' } }, ana.token))).toEqual(['NOT_FOUND']);
    expect(codes(await gql(server, REPORT_USER, { input: { userId: bo.id, reason: 'SPAM', conversationId: randomUUID() } }, ana.token))).toEqual(['NOT_FOUND']);

    const withConversation = await gql<{ reportUser: ReportView }>(server, REPORT_USER, { input: { userId: bo.id, reason: 'OFF_PLATFORM_PAYMENT', conversationId } }, ana.token);
    const without = await gql<{ reportUser: ReportView }>(server, REPORT_USER, { input: { userId: bo.id, reason: 'OTHER' } }, ana.token);
    const queue = await gql<{ reports: { edges: { node: ReportView }[] } }>(server, REPORTS, { first: 100 }, service);
    const byId = new Map(queue.data!.reports.edges.map((edge) => [edge.node.id, edge.node]));
    expect(byId.get(withConversation.data!.reportUser.id)!.evidence.map((e) => e.sequence)).toEqual(Array.from({ length: 20 }, (_, i) => i + 3));
    expect(byId.get(without.data!.reportUser.id)).toMatchObject({ evidence: [], conversationId: null, messageId: null });
  });

  test('the moderation queue: service role only, newest first, status filter, cursor pages; resolveReport audits', async () => {
    const { ana, bo, conversationId } = await conversationPair(server);
    expect(codes(await gql(server, REPORTS, {}, ana.token))).toEqual(['FORBIDDEN']);
    expect(codes(await gql(server, REPORTS, {}, null))).toEqual(['UNAUTHENTICATED']);
    const ids = await sendMany(conversationId, bo.token, 3, 'm');
    const made: string[] = [];
    for (const messageId of ids) {
      made.push((await gql<{ reportMessage: ReportView }>(server, REPORT_MESSAGE, { input: { messageId, reason: 'SPAM' } }, ana.token)).data!.reportMessage.id);
    }
    // Page through every OPEN report two at a time: each report once, newest first.
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const result: { data?: { reports: { edges: { node: ReportView }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null } = await gql(server, REPORTS, { first: 2, after }, service);
      seen.push(...result.data!.reports.edges.map((edge) => edge.node.id));
      if (!result.data!.reports.pageInfo.hasNextPage) break;
      after = result.data!.reports.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => made.includes(id))).toEqual([...made].reverse());

    expect(codes(await gql(server, RESOLVE, { id: made[0], status: 'RESOLVED', note: 'warned' }, ana.token))).toEqual(['FORBIDDEN']);
    expect(codes(await gql(server, RESOLVE, { id: randomUUID(), status: 'RESOLVED' }, service))).toEqual(['NOT_FOUND']);
    const resolved = await gql<{ resolveReport: ReportView }>(server, RESOLVE, { id: made[0], status: 'RESOLVED', note: 'warned' }, service);
    expect(resolved.data!.resolveReport).toMatchObject({ status: 'RESOLVED', resolutionNote: 'warned' });
    const open = await gql<{ reports: { edges: { node: ReportView }[] } }>(server, REPORTS, { first: 100 }, service);
    expect(open.data!.reports.edges.map((edge) => edge.node.id)).not.toContain(made[0]);
    const done = await gql<{ reports: { edges: { node: ReportView }[] } }>(server, REPORTS, { status: 'RESOLVED', first: 100 }, service);
    expect(done.data!.reports.edges.map((edge) => edge.node.id)).toContain(made[0]);
    const audit = await db().execute(`select action from audit_log where entity_type = 'report' and entity_id = ? order by id`, [made[0]]);
    expect(audit.map((row) => row.action)).toEqual(['report.created', 'report.resolved']);
  });

  test('reports_total counts by reason', async () => {
    const response = await fetch(server.url.replace('/graphql', '/metrics'));
    const text = await response.text();
    expect(text).toMatch(/reports_total\{reason="SCAM"\} [1-9]/);
  });
});
