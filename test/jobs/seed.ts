import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Seeds conversations with set-based SQL: `idle` of them with their last activity `idleDays`
 * ago (oldest first), `recent` active yesterday, between `users` users named `<tag>-<n>`. Every
 * conversation's job_application_id starts with `tag`, so a test finds its own rows.
 */
export async function seedConversations(
  em: EntityManager,
  { tag, idle, recent = 0, users = 200, idleDays = 100 }: { tag: string; idle: number; recent?: number; users?: number; idleDays?: number },
): Promise<void> {
  await em.execute(`insert into users (id, display_name) select gen_random_uuid(), ? || '-' || g from generate_series(1, ?) g`, [tag, users]);
  await em.execute(
    `with u as (select array_agg(id order by id) as ids from users where display_name like ? || '-%'),
          pairs as (select g, u.ids[1 + g % ?] as x, u.ids[1 + (g + 1) % ?] as y from generate_series(1, ?) g, u)
     insert into conversations (id, participant_a_id, participant_b_id, job_application_id, created_at, updated_at)
     select gen_random_uuid(), least(x, y), greatest(x, y), ? || '-' || g,
            case when g <= ? then now() - make_interval(days => ?) - g * interval '1 second' else now() - interval '1 day' end,
            now() - interval '1 day'
     from pairs`,
    [tag, users, users, idle + recent, tag, idle, idleDays],
  );
}

/** How many of the tagged conversations have each status. */
export async function statusCounts(em: EntityManager, tag: string): Promise<Record<string, number>> {
  const rows = await em.execute(
    `select status, count(*)::int as n from conversations where job_application_id like ? || '-%' group by status`,
    [tag],
  );
  return Object.fromEntries(rows.map((row) => [String(row.status), Number(row.n)]));
}

/** Audit rows of the auto-archive for the tagged conversations: total and distinct conversations. */
export async function autoArchiveAudit(em: EntityManager, tag: string): Promise<{ rows: number; conversations: number }> {
  // Fresh rows have no statistics yet: without them the planner joins 30,000 x 30,000 in a nested loop.
  await em.execute('analyze conversations');
  await em.execute('analyze audit_log');
  const [row] = await em.execute(
    `select count(*)::int as rows, count(distinct a.entity_id)::int as conversations
     from audit_log a join conversations c on a.entity_type = 'conversation' and a.entity_id = c.id::text
     where a.action = 'conversation.auto_archived' and c.job_application_id like ? || '-%'`,
    [tag],
  );
  return { rows: Number(row.rows), conversations: Number(row.conversations) };
}

/** Removes the tagged conversations and users (their messages go with them). */
export async function removeSeed(em: EntityManager, tag: string): Promise<void> {
  await em.execute(`delete from conversations where job_application_id like ? || '-%'`, [tag]);
  await em.execute(`delete from users where display_name like ? || '-%'`, [tag]);
}
