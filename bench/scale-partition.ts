import type { Client } from 'pg';

/**
 * The second layout of `npm run bench:scale`: `messages` as a table partitioned by month on
 * created_at (declarative range partitioning), holding the same rows, with the same indexes.
 * PostgreSQL requires every unique index of a partitioned table to contain the partition key,
 * so the primary key becomes (id, created_at) and the per-conversation unique keys
 * (conversation_id, sequence) and (conversation_id, sender_id, client_message_id) gain
 * created_at too; foreign keys to messages (id) are impossible (nothing references the new
 * table here). It lives in the schema `part`: a connection with `search_path = part, public`
 * reads it under the same name, so that the queries' text is unchanged and both layouts can be
 * timed side by side, sample after sample.
 */
export const PARTITIONED_SEARCH_PATH = 'part, public';

export async function partitionMessages(db: Client, log: (line: string) => void): Promise<void> {
  let t0 = performance.now();
  const step = (what: string) => {
    log(`  ${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
  };
  await db.query(`set maintenance_work_mem = '512MB'`);
  await db.query('set synchronous_commit = off');
  const indexes = (
    await db.query<{ name: string; def: string; unique: boolean }>(
      `select c.relname as name, pg_get_indexdef(i.indexrelid) as def, i.indisunique as unique
       from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = 'public.messages'::regclass order by c.relname`,
    )
  ).rows;
  await db.query('create schema part');
  // including generated: search_vector stays a generated column, so the copy below leaves it out.
  await db.query(
    `create table part.messages (like public.messages including defaults including constraints including storage including generated) partition by range (created_at)`,
  );
  const months = (
    await db.query<{ m: string }>(
      `select to_char(m, 'YYYY-MM-DD') as m from generate_series(
         (select date_trunc('month', min(created_at)) from public.messages), (select date_trunc('month', max(created_at)) + interval '1 month' from public.messages),
         interval '1 month') m`,
    )
  ).rows.map((r) => r.m);
  for (let i = 0; i + 1 < months.length; i += 1) {
    await db.query(`create table part.messages_${months[i].slice(0, 7).replace('-', '_')} partition of part.messages for values from ('${months[i]}') to ('${months[i + 1]}')`);
  }
  step(`${months.length - 1} monthly partitions created`);
  const columns = (
    await db.query<{ name: string }>(
      `select attname as name from pg_attribute where attrelid = 'public.messages'::regclass and attnum > 0 and not attisdropped and attgenerated = '' order by attnum`,
    )
  ).rows.map((r) => `"${r.name}"`);
  await db.query(`insert into part.messages (${columns.join(', ')}) select ${columns.join(', ')} from public.messages`);
  step('rows copied');
  for (const index of indexes) {
    // pg_get_indexdef: "CREATE [UNIQUE] INDEX name ON public.messages USING method (columns) [WHERE ...]".
    let def = index.def.replace(/^(CREATE (UNIQUE )?INDEX )(\S+)( ON )public\.messages( USING )/, (_m, head, _u, name, on, using) => `${head}${name}${on}part.messages${using}`);
    if (index.unique) def = def.replace(/USING btree \(([^)]*)\)/, (_m, columns) => `USING btree (${columns}, created_at)`);
    if (def === index.def) throw new Error(`cannot rewrite the index definition: ${index.def}`);
    await db.query(def);
  }
  step(`${indexes.length} indexes built on every partition (unique ones with created_at)`);
  await db.query('vacuum analyze part.messages');
  step('vacuum analyze');
}
