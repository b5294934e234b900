/**
 * The row modules of the raw SQL, one per table (src/db/rows/), under the name the services
 * have always imported. `Row` is for statements whose result has no read model (ids, counts).
 */
export * from '../db/rows/conversation.rows';
export * from '../db/rows/image.rows';
export * from '../db/rows/message.rows';
export * from '../db/rows/user.rows';

export type Row = Record<string, unknown>;
export * from '../db/rows/reaction.rows';
