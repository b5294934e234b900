import { Migration } from '@mikro-orm/migrations';

/**
 * messages.search_vector: the text-search document of a message, stored (a generated column)
 * instead of recomputed. searchMessages used to parse the text of every candidate row with
 * to_tsvector() for its check and its rank: for a user in thousands of conversations, whose
 * messages the planner walks by conversation when it cannot size the conversation-id array,
 * that was 1.1-1.5 s at 1 and 10 million messages (docs/scaling.md "Search at scale"). Now a row's check and
 * rank read the stored vector. The cost is a wider row (about the size of its text); the GIN
 * index, which already computed the vector on every insert, now indexes the column instead.
 */
export class Migration20261203020000_search_vector extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table messages add column search_vector tsvector
      generated always as (to_tsvector('simple_unaccent'::regconfig, coalesce(content, ''))) stored;`);
    this.addSql('drop index if exists messages_search_idx;');
    this.addSql('create index messages_search_idx on messages using gin (search_vector) where deleted_at is null;');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists messages_search_idx;');
    this.addSql('alter table messages drop column if exists search_vector;');
    this.addSql(`create index messages_search_idx on messages using gin (to_tsvector('simple_unaccent'::regconfig, coalesce(content, '')))
      where deleted_at is null;`);
  }
}
