import type { Client } from 'pg';
import { ARCHIVE_BATCH_SQL } from '../src/services/auto-archive.service';
import { SEARCH } from '../src/services/search.service';
import { parseSearchQuery } from '../src/services/search-query';
import { HEAVY_USERS, LONG_CONVERSATIONS, userIdSql } from './scale-seed';

/**
 * The statements `npm run bench:scale` times, as the service sends them. Search and the
 * archive batch are imported from the services; the history page (MessageService.page) and
 * the conversation list (ConversationService.list) are built inline there, so their text is
 * repeated here with `$n` for MikroORM's `?`: keep them in step.
 */
const MESSAGE_COLUMNS =
  'id, conversation_id, sequence, type, sender_id, content, metadata, client_message_id, created_at, delivered_at, read_at, reply_to_id, edited_at, deleted_at, revision, flags';
const CONVERSATION_COLUMNS =
  'id, participant_a_id, participant_b_id, job_application_id, status, created_at, updated_at, last_message_at, last_sequence, archived_at, archived_by_id, activity_at';

/** MessageService.page with `last` and `before` (scrolling back): newest first, limit + 1. */
const HISTORY_BACKWARD = `select ${MESSAGE_COLUMNS} from messages
  where conversation_id = $1 and sequence > $2 and sequence < $3
  order by sequence desc limit $4`;

/** ConversationService.list, first page: one ordered index scan per side of the pair, merged. */
function conversationList(statuses: 'one' | 'many'): string {
  const status = statuses === 'one' ? 'status = $N' : 'status = any($N::conversation_status[])';
  const side = (column: string) =>
    `(select ${CONVERSATION_COLUMNS}, activity_at::text as activity_cursor from conversations
      where ${column} = $N and ${status}
      order by activity_at desc, id desc limit $N)`;
  let n = 0;
  return `select * from (${side('participant_a_id')} union all ${side('participant_b_id')}) as mine
    order by activity_at desc, id desc limit $N`.replace(/\$N/g, () => `$${++n}`);
}

/** MikroORM's `?` placeholders as `$1, $2, ...`. */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

export interface TimedQuery {
  name: string;
  samples: number;
  /** Runs one sample; `i` picks its parameters. */
  run(db: Client, i: number): Promise<unknown>;
}

export interface Fixtures {
  /** The long conversations: id and last sequence. */
  long: { id: string; last: number }[];
  heavyUsers: string[];
  typicalUsers: string[];
}

export async function loadFixtures(db: Client): Promise<Fixtures> {
  const long = (
    await db.query<{ id: string; last: number }>(`select id, last_sequence as last from conversations order by last_sequence desc limit ${LONG_CONVERSATIONS + 1}`)
  ).rows;
  const heavy = (await db.query<{ id: string }>(`select ${userIdSql('g')} as id from generate_series(1, ${HEAVY_USERS}) g`)).rows.map((r) => r.id);
  // Typical users: those with the median number of conversations.
  const typical = (
    await db.query<{ id: string }>(
      `with counts as (select u, count(*) as n from (select participant_a_id as u from conversations union all select participant_b_id from conversations) s group by u),
            median as (select percentile_disc(0.5) within group (order by n) as n from counts)
       select u as id from counts, median where counts.n = median.n order by u limit 20`,
    )
  ).rows.map((r) => r.id);
  return { long, heavyUsers: heavy, typicalUsers: typical };
}

/** A fixed pseudo-random sequence, so that both layouts get the same parameters. */
const pick = (i: number, n: number) => (i * 2654435761) % 4294967296 % n;

const COMMON_QUERIES = ['presupuesto coc', 'horario lun', 'precio pint', 'factura direc', 'kitchen pri'];

export function timedQueries(f: Fixtures, samples: number, messages: number): TimedQuery[] {
  const search = (viewer: () => string, text: (i: number) => string) => (db: Client, i: number) => {
    const terms = parseSearchQuery(text(i));
    const v = viewer();
    return db.query(SEARCH.text, [terms.tsquery, v, v, null, null, null, null, null, null, 21]);
  };
  const orders = Math.max(1000, Math.floor(messages / 50));
  return [
    { name: 'raw: select 1', samples, run: (db) => db.query('select 1') },
    { name: 'raw: conversation by primary key', samples, run: (db, i) => db.query('select id from conversations where id = $1', [f.long[pick(i, f.long.length)].id]) },
    {
      name: 'history: latest page (long conversation)',
      samples,
      run: (db, i) => {
        const c = f.long[pick(i, f.long.length)];
        return db.query(HISTORY_BACKWARD, [c.id, 0, c.last + 1, 51]);
      },
    },
    {
      name: 'history: page at depth (first 10 %)',
      samples,
      run: (db, i) => {
        const c = f.long[pick(i, f.long.length)];
        return db.query(HISTORY_BACKWARD, [c.id, 0, 52 + pick(i * 7 + 3, Math.max(1, Math.floor(c.last / 10))), 51]);
      },
    },
    {
      name: 'conversation list: heavy user, ACTIVE',
      samples,
      run: (db, i) => {
        const u = f.heavyUsers[pick(i, f.heavyUsers.length)];
        return db.query(conversationList('one'), [u, 'ACTIVE', 21, u, 'ACTIVE', 21, 21]);
      },
    },
    {
      name: 'conversation list: heavy user, all statuses',
      samples,
      run: (db, i) => {
        const u = f.heavyUsers[pick(i, f.heavyUsers.length)];
        const all = ['ACTIVE', 'ARCHIVED', 'AUTO_ARCHIVED'];
        return db.query(conversationList('many'), [u, all, 21, u, all, 21, 21]);
      },
    },
    {
      name: 'search: two common words, heavy user',
      samples: Math.ceil(samples / 4),
      run: search(() => f.heavyUsers[0], (i) => COMMON_QUERIES[i % COMMON_QUERIES.length]),
    },
    {
      name: 'search: a rare word, heavy user',
      samples: Math.ceil(samples / 4),
      run: search(() => f.heavyUsers[1], (i) => `pedido${pick(i, orders)}`),
    },
    {
      name: 'search: two common words, typical user',
      samples: Math.ceil(samples / 4),
      run: (db, i) => search(() => f.typicalUsers[pick(i, f.typicalUsers.length)], () => COMMON_QUERIES[i % COMMON_QUERIES.length])(db, i),
    },
    {
      name: 'auto-archive: one batch of 1,000 (rolled back)',
      samples: Math.ceil(samples / 10),
      run: async (db) => {
        await db.query('begin');
        try {
          const now = new Date();
          return await db.query(numbered(ARCHIVE_BATCH_SQL), [new Date(now.getTime() - 90 * 86_400_000), 1000, now, now, 90, 5000]);
        } finally {
          await db.query('rollback');
        }
      },
    },
  ];
}

/** The search statement with a common query for the heavy user, for EXPLAIN (ANALYZE, BUFFERS). */
export function searchForExplain(f: Fixtures): { text: string; values: unknown[] } {
  const terms = parseSearchQuery(COMMON_QUERIES[0]);
  return { text: SEARCH.text, values: [terms.tsquery, f.heavyUsers[0], f.heavyUsers[0], null, null, null, null, null, null, 21] };
}

/** How many messages (of all users) each search query matches: what the search's work grows with. */
export async function searchSelectivity(db: Client, total: number): Promise<string[]> {
  const lines: string[] = [];
  for (const text of ['hola', 'presupuesto', ...COMMON_QUERIES, 'pedido123']) {
    const { tsquery } = parseSearchQuery(text);
    const n = Number(
      (
        await db.query<{ n: string }>(
          `select count(*) as n from public.messages m
           where m.search_vector @@ to_tsquery('simple_unaccent'::regconfig, $1) and m.deleted_at is null`,
          [tsquery],
        )
      ).rows[0].n,
    );
    lines.push(`${JSON.stringify(text)} ${n.toLocaleString('en')} (${((100 * n) / total).toFixed(2)} %)`);
  }
  return lines;
}
