import type { ImageStatus } from '../../schema/common/enums';
import type { MessageImageView } from '../../schema/message/message.entity';
import { date, type Timestamp } from './row-values';

/** The `message_images` columns the raw SQL reads, and their row. */
export const IMAGE_COLUMNS =
  'id, message_id, status, mime_type, size_bytes, width, height, original_key, preview_key, thumbnail_key, delete_after';

export interface ImageRow {
  id: string;
  status: ImageStatus;
  mime_type: string;
  size_bytes: number | string;
  width: number;
  height: number;
  original_key: string | null;
  preview_key: string | null;
  thumbnail_key: string | null;
  delete_after: Timestamp;
}

/** An image row as the read model of a message's image. */
export function toImage(row: ImageRow): MessageImageView {
  return {
    id: row.id,
    status: row.status,
    mimeType: row.mime_type,
    sizeBytes: Number(row.size_bytes),
    width: Number(row.width),
    height: Number(row.height),
    originalKey: row.original_key ?? null,
    previewKey: row.preview_key ?? null,
    thumbnailKey: row.thumbnail_key ?? null,
    deleteAfter: date(row.delete_after),
  };
}
