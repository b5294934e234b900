import type { Client } from 'pg';

/**
 * The data set of `npm run bench:scale`, generated in SQL with generate_series (the API would
 * take days for 10 million messages) into a database the migrations created.
 *
 * Shape, for N messages (deterministic: setseed):
 * - users: N / 100 (at least 1,000); HEAVY_USERS of them have HEAVY_CONVERSATIONS each.
 * - conversations: N / 25 (at least 500), each about its own job application.
 * - LONG_CONVERSATIONS conversations of N / 100 messages each, plus one of N / 50, over two
 *   years; the others exponentially distributed (most have a few messages, some hundreds),
 *   each within up to 60 days starting anywhere in the last two years.
 * - conversations idle for more than 90 days are AUTO_ARCHIVED, except one in ten left ACTIVE
 *   (the backlog the archive job finds); 5 % of the recent ones ARCHIVED by a participant.
 * - content: phrases of 5 to 10 words, about two thirds of them function words ("de", "que", "the":
 *   never searched), the others content words drawn with a Zipf distribution (frequency ~ 1/rank)
 *   over CONTENT_WORDS words, the first of them a Spanish/English marketplace vocabulary (the
 *   run prints how many messages hold some of them); every
 *   10th message also carries an order number (`pedido<n>`, a handful of messages each: the
 *   rare-word search).
 */
export const HEAVY_USERS = 10;
export const LONG_CONVERSATIONS = 10;
export const SPAN_DAYS = 730;
const CONTENT_WORDS = 1000;
const FUNCTION_WORDS = ['de', 'la', 'que', 'el', 'en', 'y', 'a', 'los', 'se', 'del', 'las', 'un', 'por', 'con', 'no', 'una', 'su', 'para', 'es', 'al',
  'the', 'to', 'and', 'is', 'in', 'it', 'you', 'of', 'for', 'on'];

const VOCABULARY = [
  'hola', 'gracias', 'mañana', 'lunes', 'martes', 'viernes', 'presupuesto', 'precio', 'horario', 'trabajo',
  'cocina', 'baño', 'pintura', 'fontanero', 'electricista', 'jardín', 'llave', 'camión', 'contrato', 'factura',
  'dirección', 'calle', 'puerta', 'ventana', 'tubería', 'enchufe', 'azulejos', 'pared', 'techo', 'suelo',
  'hello', 'thanks', 'tomorrow', 'monday', 'price', 'quote', 'schedule', 'kitchen', 'bathroom', 'paint',
  'plumber', 'electrician', 'garden', 'key', 'truck', 'contract', 'invoice', 'address', 'door', 'window',
  'confirmo', 'perfecto', 'vale', 'llego', 'tarde', 'pronto', 'semana', 'hora', 'minutos', 'materiales',
];
/** The content words by rank: the vocabulary, then made-up words (`termino61`...) for the long tail. */
const CONTENT = [...VOCABULARY, ...Array.from({ length: CONTENT_WORDS - VOCABULARY.length }, (_, i) => `termino${VOCABULARY.length + i + 1}`)];

export interface ScaleShape {
  messages: number;
  users: number;
  conversations: number;
  heavyConversations: number;
}

export function shapeFor(messages: number): ScaleShape {
  const users = Math.max(1000, Math.floor(messages / 100));
  const conversations = Math.max(500, Math.floor(messages / 25));
  return { messages, users, conversations, heavyConversations: Math.min(5000, Math.floor(conversations / (2 * HEAVY_USERS))) };
}

/** Users are numbered 1..users; user n's id is md5('user-n') as a uuid. */
export const userIdSql = (n: string) => `md5('user-' || (${n}))::uuid`;

export async function seed(db: Client, shape: ScaleShape, log: (line: string) => void): Promise<void> {
  const { messages, users, conversations, heavyConversations } = shape;
  const heavyTotal = HEAVY_USERS * heavyConversations;
  const longMessages = Math.floor(messages / 100);
  const longestMessages = Math.floor(messages / 50);
  const regularMean = (messages - LONG_CONVERSATIONS * longMessages - longestMessages) / (conversations - LONG_CONVERSATIONS - 1);
  // Session settings only: the shared server's configuration is untouched.
  await db.query(`set maintenance_work_mem = '512MB'`);
  await db.query('set synchronous_commit = off');
  // Foreign keys and triggers are skipped while loading (the rows are consistent by construction).
  await db.query(`set session_replication_role = replica`);
  await db.query('select setseed(0.42)');

  let t0 = performance.now();
  const step = (what: string) => {
    log(`  ${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
  };
  await db.query(`insert into users (id, display_name) select ${userIdSql('g')}, 'scale ' || g from generate_series(1, $1) g`, [users]);
  step(`${users.toLocaleString('en')} users`);

  // Per conversation: its two user numbers, its message count and its time window.
  await db.query(`create unlogged table scale_plan (g int primary key, x int, y int, n int, started timestamptz, span interval)`);
  const long = `g between $3 + 1 and $3 + 1 + ${LONG_CONVERSATIONS}`;
  await db.query(
    `insert into scale_plan
     select g, x, y, n, started,
            case when ${long} then interval '${SPAN_DAYS} days' - interval '1 hour' else least(interval '60 days', now() - started) * r2 end
     from (
       select g, x, case when y = x then ${HEAVY_USERS} + 1 + (y - ${HEAVY_USERS}) % ($2 - ${HEAVY_USERS}) else y end as y, n, r2,
              case when ${long} then now() - interval '${SPAN_DAYS} days' else now() - r * interval '${SPAN_DAYS} days' end as started
       from (
         select g,
                case when g <= $3 then 1 + (g - 1) % ${HEAVY_USERS} else ${HEAVY_USERS} + 1 + (g * 104729) % ($2 - ${HEAVY_USERS}) end as x,
                ${HEAVY_USERS} + 1 + (g * 7919 + 1) % ($2 - ${HEAVY_USERS}) as y,
                case when g = $3 + 1 then $6::int
                     when g > $3 + 1 and g <= $3 + 1 + ${LONG_CONVERSATIONS} then $5::int
                     else 1 + floor(-ln(1 - random()) * ($4::float8 - 1))::int end as n,
                random() as r, random() as r2
         from generate_series(1::bigint, $1) g
       ) p
     ) q`,
    [conversations, users, heavyTotal, regularMean, longMessages, longestMessages],
  );
  step(`${conversations.toLocaleString('en')} conversation plans`);

  await db.query(
    `insert into conversations (id, participant_a_id, participant_b_id, job_application_id, status, created_at, updated_at,
                                last_message_at, last_sequence, archived_at, archived_by_id)
     select md5('conversation-' || g)::uuid, least(a, b), greatest(a, b), 'job-' || g, status, started, last_at, last_at, n,
            case when status = 'ACTIVE' then null else last_at + interval '1 day' end,
            case when status = 'ARCHIVED' then a end
     from (select g, ${userIdSql('x')} as a, ${userIdSql('y')} as b, n, started, started + span as last_at,
                  case when started + span < now() - interval '90 days' and g % 10 <> 0 then 'AUTO_ARCHIVED'
                       when started + span >= now() - interval '90 days' and g % 20 = 1 then 'ARCHIVED'
                       else 'ACTIVE' end::conversation_status as status
           from scale_plan) p`,
  );
  step('conversations');

  // The secondary indexes are built after the load (faster than maintaining them row by row).
  const indexes = (
    await db.query<{ name: string; def: string }>(
      `select indexname as name, indexdef as def from pg_indexes where schemaname = 'public' and tablename = 'messages'
       and indexname not in (select conname from pg_constraint where conrelid = 'messages'::regclass and contype in ('p', 'u'))`,
    )
  ).rows;
  for (const index of indexes) await db.query(`drop index ${index.name}`);
  await db.query(`alter table messages drop constraint if exists messages_conversation_sequence_unique`);

  await db.query(`create unlogged table scale_phrases (k int primary key, text text not null)`);
  // rank = floor(exp(u * ln(V + 1))) for uniform u: P(rank) ~ 1 / rank (a discrete Zipf).
  await db.query(
    `insert into scale_phrases
     select k, (select string_agg(case when random() < 0.65 then ($1::text[])[1 + floor(random() * array_length($1::text[], 1))::int]
                                       else ($2::text[])[least(array_length($2::text[], 1), floor(exp(random() * ln(array_length($2::text[], 1) + 1)))::int)] end, ' ')
                from generate_series(1, 5 + k % 6) w where k >= 0)
     from generate_series(0, 19999) k`,
    [FUNCTION_WORDS, CONTENT],
  );
  await db.query(
    `insert into messages (id, conversation_id, sequence, type, sender_id, content, metadata, client_message_id, created_at, delivered_at, read_at)
     select gen_random_uuid(), md5('conversation-' || p.g)::uuid, s, 'TEXT',
            case when s % 2 = 0 then ${userIdSql('p.x')} else ${userIdSql('p.y')} end,
            ph.text || case when s % 10 = 0 then ' pedido' || ((p.g * 31 + s) % $1) else '' end,
            '{}', case when s % 5 <> 0 then 'c-' || p.g || '-' || s end,
            p.started + p.span * ((s - 1)::float8 / greatest(p.n - 1, 1)),
            p.started + p.span * ((s - 1)::float8 / greatest(p.n - 1, 1)),
            case when s < p.n - 2 then p.started + p.span * ((s - 1)::float8 / greatest(p.n - 1, 1)) + interval '1 hour' end
     from scale_plan p, generate_series(1, p.n) s, scale_phrases ph
     where ph.k = (p.g * 7 + s * 13) % 20000`,
    [Math.max(1000, Math.floor(messages / 50))],
  );
  step(`${messages.toLocaleString('en')} (about) messages`);

  await db.query(`alter table messages add constraint messages_conversation_sequence_unique unique (conversation_id, sequence)`);
  for (const index of indexes) await db.query(index.def);
  step(`messages indexes rebuilt (${indexes.length} + the unique constraint)`);
  await db.query('drop table scale_plan, scale_phrases');
  await db.query('set session_replication_role = origin');
  await db.query('vacuum analyze users, conversations, messages');
  step('vacuum analyze');
}
