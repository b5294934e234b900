/**
 * The statements for scripts/explain-queries.ts, captured from the real services instead of
 * copied from them: the services run against the seeded database, and every statement they
 * send is recorded with its parameters. The hot-path pool's statements are recorded by a `Sql`
 * wrapper (text and bind values); MikroORM's through knex's `query` event (values inlined).
 * A changed query shows up in the report without touching this file.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { openParts } from '../src/composition-root';
import { LIMITS, loadConfig } from '../src/config';
import type { Sql, Statement } from '../src/db/sql';
import { createLogger } from '../src/observability/logger';
import { createLoaders } from '../src/resolvers/loaders';
import { ConversationStatus, DevicePlatform } from '../src/schema/common/enums';
import { ReportReason } from '../src/schema/common/safety-enums';
import { createServices, type Services } from '../src/services/services';

export interface CapturedStatement {
  /** The service call that sent it, e.g. `ConversationService.list`. */
  source: string;
  /** The case: who, which data. */
  title: string;
  /** `$1, $2, ...` placeholders (pool statements) or none (MikroORM inlines values). */
  sql: string;
  params: unknown[];
  /** Changes rows (a function call counts as one): explained without ANALYZE, since the call already ran it once. */
  write: boolean;
  /** Calls a PL/pgSQL function: the statements inside come from auto_explain. */
  nested: boolean;
}

/** Ids and rows picked from the seeded data that the calls below use. */
export interface CaptureSamples {
  heavy: string;
  typical: string;
  bigConversationId: string;
  bigOther: string;
  typicalConversationId: string;
  typicalOther: string;
  pageUsers: string[];
  pageConversationIds: string[];
  newPair: [string, string];
  jobPair: { a: string; b: string; jobApplicationId: string };
  clientMessageId: string;
  clientMessageSender: string;
  unreadIds: string[];
  upToMessageId: string;
  imageMessageIds: string[];
  prefsUser: string;
  heavyToken: string;
}

interface Step {
  source: string;
  title: string;
  run(services: Services, em: EntityManager): Promise<unknown>;
}

const TRANSACTION_CONTROL = /^\s*(begin|commit|rollback|savepoint|release|set |select 1\b)/i;
const WRITE = /^\s*(insert|update|delete)\b|\b(insert into|update \w+ set|delete from)\b/i;
const FUNCTION_CALL = /\bselect\s+\*?\s*(from\s+)?\w+_message\(|\bsend_message\(/i;

/** Records what a `Sql` runs, then runs it. */
function recording(inner: Sql, sink: { sql: string; params: unknown[] }[]): Sql {
  return {
    query(statement: Statement, values: unknown[]) {
      sink.push({ sql: statement.text, params: values });
      return inner.query(statement, values);
    },
  };
}

function steps(s: CaptureSamples): Step[] {
  const fresh = { id: '' };
  const pageSize = LIMITS.defaultConversationPageSize;
  const heavyDesc = 'heavy user';
  const typicalDesc = 'typical user';
  const bigDesc = 'the longest conversation';
  const page = async (services: Services, em: EntityManager, args: Parameters<Services['messages']['page']>[2]) =>
    services.messages.page(em, await services.conversations.getById(em, s.bigConversationId), args);
  return [
    { source: 'ConversationService.getForViewer', title: `${typicalDesc}, one of their conversations`, run: (x, em) => x.conversations.getForViewer(em, s.typical, s.typicalConversationId) },
    { source: 'ConversationService.getById', title: bigDesc, run: (x, em) => x.conversations.getById(em, s.bigConversationId) },
    { source: 'ConversationService.start', title: 'a new pair (insert)', run: (x, em) => x.conversations.start(em, s.newPair[0], s.newPair[1]) },
    { source: 'ConversationService.start', title: 'an existing pair and job application', run: (x, em) => x.conversations.start(em, s.jobPair.a, s.jobPair.b, s.jobPair.jobApplicationId) },
    {
      source: 'ConversationService.list',
      title: `${heavyDesc}, first page and totalCount`,
      run: async (x, em) => (await x.conversations.list(em, s.heavy, null, pageSize, null)).totalCount(),
    },
    {
      source: 'ConversationService.list',
      title: `${heavyDesc}, second page`,
      run: async (x, em) => {
        const first = await x.conversations.list(em, s.heavy, null, pageSize, null);
        return x.conversations.list(em, s.heavy, null, pageSize, first.edges.at(-1)?.cursor ?? null);
      },
    },
    {
      source: 'ConversationService.list',
      title: `${heavyDesc}, ACTIVE and ARCHIVED, with totalCount`,
      run: async (x, em) => (await x.conversations.list(em, s.heavy, [ConversationStatus.ACTIVE, ConversationStatus.ARCHIVED], pageSize, null)).totalCount(),
    },
    { source: 'ConversationService.list', title: `${typicalDesc}, first page`, run: (x, em) => x.conversations.list(em, s.typical, null, pageSize, null) },
    {
      source: 'ConversationService.archive / unarchive',
      title: `${typicalDesc}, one of their conversations`,
      run: async (x, em) => {
        await x.conversations.archive(em, s.typical, s.typicalConversationId);
        return x.conversations.unarchive(em, s.typical, s.typicalConversationId);
      },
    },
    { source: 'ConversationService.unreadTotal', title: heavyDesc, run: (x, em) => x.conversations.unreadTotal(em, s.heavy) },
    { source: 'ConversationService.unreadTotal', title: typicalDesc, run: (x, em) => x.conversations.unreadTotal(em, s.typical) },
    {
      source: 'MessageService.send',
      title: `${bigDesc}, a retry with a known clientMessageId (replay)`,
      run: (x) => x.messages.send(s.clientMessageSender, { conversationId: s.bigConversationId, content: 'retry', clientMessageId: s.clientMessageId }),
    },
    {
      source: 'MessageService.send',
      title: `${bigDesc}, a new message`,
      run: async (x) => {
        fresh.id = (await x.messages.send(s.bigOther, { conversationId: s.bigConversationId, content: 'Hello there', clientMessageId: randomUUID() })).id;
      },
    },
    // The changes of a message, on the one the step above sent (the seeded ones are past the edit window).
    { source: 'MessageChangeService.edit', title: `${bigDesc}, the new message`, run: (x, em) => x.messageChanges.edit(em, s.bigOther, fresh.id, 'Hello there, edited') },
    { source: 'MessageChangeService.addReaction', title: `${bigDesc}, the new message`, run: (x, em) => x.messageChanges.addReaction(em, s.heavy, fresh.id, '👍') },
    { source: 'MessageChangeService.removeReaction', title: `${bigDesc}, the new message`, run: (x, em) => x.messageChanges.removeReaction(em, s.heavy, fresh.id, '👍') },
    { source: 'MessageChangeService.delete', title: `${bigDesc}, the new message`, run: (x, em) => x.messageChanges.delete(em, s.bigOther, fresh.id) },
    {
      source: 'SearchService.search',
      title: `${heavyDesc}, two common words`,
      run: (x, em) => x.search.search(em, s.heavy, { query: 'monday schedule', first: LIMITS.defaultMessagePageSize }),
    },
    { source: 'SearchService.search', title: `${typicalDesc}, a rare word as a prefix`, run: (x, em) => x.search.search(em, s.typical, { query: 'proj', first: LIMITS.defaultMessagePageSize }) },
    {
      source: 'ReportService.reportUser',
      title: `${typicalDesc}, with the conversation's last 20 messages as evidence`,
      run: (x, em) => x.reports.reportUser(em, s.typical, { userId: s.typicalOther, reason: ReportReason.SPAM, conversationId: s.typicalConversationId }),
    },
    {
      source: 'BlockService.block / unblock',
      title: `${typicalDesc}, the other participant`,
      run: async (x, em) => {
        await x.blocks.block(em, s.typical, s.typicalOther);
        return x.blocks.unblock(em, s.typical, s.typicalOther);
      },
    },
    { source: 'MessageService.page', title: `${bigDesc}, the newest page`, run: (x, em) => page(x, em, { last: LIMITS.defaultMessagePageSize }) },
    { source: 'MessageService.page', title: `${bigDesc}, the oldest page`, run: (x, em) => page(x, em, { first: LIMITS.defaultMessagePageSize }) },
    { source: 'MessageService.markRead', title: `${typicalDesc}, the whole conversation`, run: (x, em) => x.messages.markRead(em, s.typical, { conversationId: s.typicalConversationId }) },
    { source: 'MessageService.markRead', title: `${bigDesc}, five messageIds`, run: (x, em) => x.messages.markRead(em, s.heavy, { conversationId: s.bigConversationId, messageIds: s.unreadIds }) },
    { source: 'MessageService.markRead', title: `${bigDesc}, upToMessageId`, run: (x, em) => x.messages.markRead(em, s.heavy, { conversationId: s.bigConversationId, upToMessageId: s.upToMessageId }) },
    {
      source: 'loaders (one page of the conversation list)',
      title: `${heavyDesc}: participants, conversations, last messages, unread counts, images`,
      run: async (x) => {
        const loaders = createLoaders(x.deps.sql, s.heavy, x.deps.presence);
        const conversations = await loaders.conversation.loadMany(s.pageConversationIds);
        return Promise.all([
          loaders.user.loadMany(s.pageUsers),
          loaders.lastMessage.loadMany(conversations.flatMap((c) => (c && !(c instanceof Error) ? [`${c.id}:${c.lastSequence}`] : []))),
          loaders.unreadCount.loadMany(s.pageConversationIds),
          loaders.image.loadMany(s.imageMessageIds),
        ]);
      },
    },
    { source: 'UserService.provision', title: 'a known user', run: (x) => x.users.provision({ kind: 'user', id: s.heavy, name: 'User 0', expiresAt: Date.now() + 60_000 }) },
    { source: 'UserService.upsert', title: 'a known user', run: (x, em) => x.users.upsert(em, { id: s.typical, displayName: 'Typical' }) },
    { source: 'NotificationSettingsService.preferences', title: 'a user with stored preferences', run: (x, em) => x.notificationSettings.preferences(em, s.prefsUser) },
    { source: 'NotificationSettingsService.update', title: 'a user with stored preferences', run: (x, em) => x.notificationSettings.update(em, s.prefsUser, { newMessagePush: true }) },
    { source: 'NotificationSettingsService.registerDevice', title: `${heavyDesc}, a known token`, run: (x, em) => x.notificationSettings.registerDevice(em, s.heavy, s.heavyToken, DevicePlatform.ANDROID) },
    { source: 'NotificationSettingsService.devices', title: heavyDesc, run: (x, em) => x.notificationSettings.devices(em, s.heavy) },
    { source: 'NotificationSettingsService.unregisterDevice', title: `${heavyDesc}, an unknown token`, run: (x, em) => x.notificationSettings.unregisterDevice(em, s.heavy, 'no-such-token') },
  ];
}

/**
 * Runs each step against `databaseUrl` through the services `createServices` builds (as the
 * API does) and answers the statements each one sent, in order, without repeats.
 */
export async function captureStatements(databaseUrl: string, samples: CaptureSamples): Promise<CapturedStatement[]> {
  // Image objects (none are written here) would go under DATA_DIR: a folder of this run only.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'messaging-explain-'));
  const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: '', NODE_ENV: 'development', DATA_DIR: dataDir, MIGRATE_ON_START: 'false' });
  const parts = await openParts({ role: 'jobs', config, logger: createLogger('warn') }).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  const sink: { sql: string; params: unknown[] }[] = [];
  // MikroORM's statements as knex hands them to pg (its 'query' event): MikroORM inlines the
  // values, so the text runs as it is. The pool's statements are recorded by `recording`.
  const knex = parts.orm.em.getKnex();
  const onKnexQuery = (data: { sql: string; bindings?: unknown[] }) => sink.push({ sql: data.sql, params: data.bindings ?? [] });
  knex.on('query', onKnexQuery);
  const stop = () => knex.off('query', onKnexQuery);
  const captured: CapturedStatement[] = [];
  try {
    const services = createServices({ ...parts, sql: recording(parts.sql, sink) });
    for (const step of steps(samples)) {
      sink.length = 0;
      await step.run(services, parts.orm.em.fork() as EntityManager);
      // Work the call started in the background (acknowledgements, push decisions) belongs to it.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const seen = new Set<string>();
      for (const { sql, params } of sink) {
        if (TRANSACTION_CONTROL.test(sql) || seen.has(sql)) continue;
        seen.add(sql);
        const nested = FUNCTION_CALL.test(sql);
        captured.push({ source: step.source, title: step.title, sql, params, write: nested || WRITE.test(sql), nested });
      }
    }
  } finally {
    stop();
    await parts.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  return captured;
}
