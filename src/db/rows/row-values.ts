/** A relation as the read models carry it: the id only; loaders resolve the rest on demand. */
export interface IdRef {
  id: string;
}

export const idRef = (id: string): IdRef => ({ id });

/** MikroORM has the driver hand timestamps over as text; the pool hands Dates. */
export type Timestamp = Date | string;

export function date(value: Timestamp): Date {
  return value instanceof Date ? value : new Date(value);
}

export function dateOrNull(value: Timestamp | null | undefined): Date | null {
  return value === null || value === undefined ? null : date(value);
}

/** The row of a statement that answers ids only (`returning id`, `select distinct n.id`). */
export interface IdRow {
  id: string;
}
