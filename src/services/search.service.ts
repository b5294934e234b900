import type { EntityManager } from '@mikro-orm/postgresql';
import { ReadRouting } from '../db/read-routing';
import type { Sql, Statement } from '../db/sql';
import { badInput } from '../errors';
import type { Message } from '../schema/message/message.entity';
import type { ConversationService } from './conversation.service';
import { decodeCursor, encodeCursor, isTimestampText, type PageInfoData } from './pagination';
import { MESSAGE_COLUMNS, toMessage, type MessageRow } from './rows';
import { highlightRanges, parseSearchQuery } from './search-query';
import { isUuid } from '../auth/viewer';

export const SEARCH_DEFAULT_PAGE = 20;
export const SEARCH_MAX_PAGE = 50;

export interface SearchArgs {
  query: string;
  conversationId?: string | null;
  first?: number | null;
  after?: string | null;
}

export interface SearchPage {
  edges: { cursor: string; node: Message; highlights: { start: number; length: number }[] }[];
  pageInfo: PageInfoData;
}

type SearchRow = MessageRow & { rank_text: string; created_text: string };

/**
 * messages.search_vector is the stored text-search document (to_tsvector of the content, a
 * generated column) that messages_search_idx indexes: the check and the rank read it instead
 * of parsing each candidate's text again. Only the viewer's conversations are searched: their ids (two index scans, as the conversation
 * list does) are part of the query itself, never a filter applied to results afterwards. An
 * array rather than a join: the planner then always filters the index's matches by a hashed
 * array lookup instead of choosing a nested loop over the conversations (docs/query-plans.md).
 */
const DOCUMENT = 'm.search_vector';
export const SEARCH: Statement = {
  name: 'search_messages',
  text: `with q as (select to_tsquery('simple_unaccent'::regconfig, $1) as query)
    select found.*, found.rank::text as rank_text from (
      select ${MESSAGE_COLUMNS.split(', ').map((column) => `m.${column}`).join(', ')},
             ts_rank(${DOCUMENT}, q.query) as rank, m.created_at::text as created_text
      from q, messages m
      where m.conversation_id = any(array(select id from conversations where participant_a_id = $2
                                          union all select id from conversations where participant_b_id = $3))
        and ($4::uuid is null or m.conversation_id = $5::uuid)
        and m.deleted_at is null
        and ${DOCUMENT} @@ q.query
    ) found
    where ($6::real is null or (found.rank, found.created_at, found.id) < ($7::real, $8::timestamptz, $9::uuid))
    order by found.rank desc, found.created_at desc, found.id desc
    limit $10`,
};

/** searchMessages (CONTRACT.md "Search"): PostgreSQL full-text search over the viewer's messages. */
export class SearchService {
  constructor(
    private readonly sql: Sql,
    private readonly conversations: ConversationService,
    /** Search may run on the read replica (db/read-routing.ts). */
    private readonly reads: ReadRouting = ReadRouting.primaryOnly(),
  ) {}

  async search(em: EntityManager, viewerId: string, args: SearchArgs): Promise<SearchPage> {
    const terms = parseSearchQuery(args.query);
    const first = args.first ?? SEARCH_DEFAULT_PAGE;
    if (!Number.isInteger(first) || first < 0 || first > SEARCH_MAX_PAGE) throw badInput(`first must be between 0 and ${SEARCH_MAX_PAGE}`, 'first');
    const conversationId = args.conversationId ? (await this.conversations.getForViewer(em, viewerId, args.conversationId)).id : null;
    const after = args.after ? decodeSearchCursor(args.after) : null;
    const rows =
      first === 0
        ? []
        : await this.reads.query<SearchRow>('search', viewerId, this.sql, SEARCH, [
            terms.tsquery,
            viewerId,
            viewerId,
            conversationId,
            conversationId,
            after?.rank ?? null,
            after?.rank ?? null,
            after?.createdAt ?? null,
            after?.id ?? null,
            first + 1,
          ]);
    const edges = rows.slice(0, first).map((row) => {
      const node = toMessage(row);
      return { cursor: encodeCursor([row.rank_text, row.created_text, row.id]), node, highlights: highlightRanges(node.content, terms.words) };
    });
    return {
      edges,
      pageInfo: {
        hasNextPage: rows.length > first,
        hasPreviousPage: after !== null,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }
}

/** [rank as PostgreSQL prints a real, createdAt as timestamptz text, id]: checked before it reaches SQL. */
function decodeSearchCursor(cursor: string): { rank: string; createdAt: string; id: string } {
  const [rank, createdAt, id] = decodeCursor(cursor, ['string', 'string', 'string']) as [string, string, string];
  if (!/^\d+(\.\d+)?(e-?\d+)?$/.test(rank) || !isTimestampText(createdAt) || !isUuid(id)) throw badInput('The cursor is not valid', 'after');
  return { rank, createdAt, id: id.toLowerCase() };
}
