import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, DomainError, ErrorCode } from '../errors';
import { processImageLimited, sniffFormat, type ProcessedImage } from '../images/image-processor';
import { readUploadWithCap } from '../images/read-upload';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { ImageStatus, MessageType } from '../schema/common/enums';
import type { Conversation } from '../schema/conversation/conversation.entity';
import type { Message } from '../schema/message/message.entity';
import type { ImageObjectKeys } from '../storage/object-storage';
import type { ConversationService } from './conversation.service';
import type { ImageStorageService } from './image-storage.service';
import { checkClientMessageId, type MessageService } from './message.service';
import type { MessageRateLimiter } from './rate-limiter';
import { sanitizeContent } from './sanitize';

/** An uploaded file as the multipart parser hands it over; its stream is read once. */
export interface UploadedFile {
  createReadStream(): Readable;
}

export interface SendImageInput {
  conversationId: string;
  /** Awaited, and its bytes read, only once the checks before it have passed. */
  image: PromiseLike<UploadedFile>;
  caption?: string | null;
  clientMessageId?: string | null;
}

export interface ImageMessageSettings {
  /** Upload cap in bytes (the contract's 5 MB). */
  maxBytes: number;
  /** Caption length cap in characters, as for text content. */
  maxCaptionLength: number;
  /** Days from upload until the expiry routine deletes the objects. */
  retentionDays: number;
}

/** Validates, cleans and resizes; `processImageLimited` by default. */
export type ImageProcessor = (input: Buffer) => Promise<ProcessedImage>;

/** The format label of the metrics: known once the first bytes are read. */
interface Attempt {
  format: string;
}

/**
 * sendImageMessage. Checks in the order of sendMessage (membership, idempotent replay, rate
 * limit, caption), then reads the upload (capped while it streams), validates and processes it,
 * stores the objects, and only then writes the message and its image row in one transaction.
 * Whatever fails leaves neither a message nor an object behind, and gives the rate-limit
 * point back.
 */
export class ImageMessageService {
  constructor(
    private readonly conversations: ConversationService,
    private readonly messages: MessageService,
    private readonly imageStorage: ImageStorageService,
    private readonly rateLimiter: MessageRateLimiter,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly settings: ImageMessageSettings,
    private readonly processImage: ImageProcessor = processImageLimited,
  ) {}

  /** Sends an image message; counts the outcome by format in `image_uploads_total`. */
  async send(em: EntityManager, senderId: string, input: SendImageInput): Promise<Message> {
    const attempt: Attempt = { format: 'unknown' };
    try {
      const { message, replayed } = await this.attempt(em, senderId, input, attempt);
      this.metrics.imageUploads.inc({ outcome: replayed ? 'replayed' : 'stored', format: attempt.format });
      return message;
    } catch (error) {
      const outcome = error instanceof DomainError ? error.code.toLowerCase() : 'error';
      this.metrics.imageUploads.inc({ outcome, format: attempt.format });
      throw error;
    }
  }

  /** Sanitised like text content; empty after sanitising means no caption. */
  checkCaption(raw: string | null | undefined): string | null {
    if (raw === null || raw === undefined) return null;
    const caption = sanitizeContent(raw).trim();
    const max = this.settings.maxCaptionLength;
    if ([...caption].length > max) {
      throw badInput(`caption must be at most ${max} characters after removing HTML and trimming`, 'caption');
    }
    return caption.length > 0 ? caption : null;
  }

  private async attempt(em: EntityManager, senderId: string, input: SendImageInput, attempt: Attempt) {
    const conversation = await this.conversations.getForViewer(em, senderId, input.conversationId);
    const clientMessageId = checkClientMessageId(input.clientMessageId);
    if (clientMessageId) {
      const replay = await this.messages.findByClientMessageId(em, conversation.id, senderId, clientMessageId);
      if (replay) return { message: replay, replayed: true };
    }
    const idempotencyKey = clientMessageId ? `${conversation.id}:${clientMessageId}` : undefined;
    const counted = await this.rateLimiter.consume(senderId, idempotencyKey);
    let stored: Message | null;
    try {
      const caption = this.checkCaption(input.caption);
      const image = await this.readAndProcess(input.image, attempt);
      stored = await this.storeMessage(em, { conversation, senderId, caption, clientMessageId }, image);
    } catch (error) {
      if (counted) await this.rateLimiter.refund(senderId, idempotencyKey);
      throw error;
    }
    if (!stored) {
      // A concurrent retry with the same key stored its message first: answer that one.
      const first = await this.messages.findByClientMessageId(em, conversation.id, senderId, clientMessageId!);
      return { message: first!, replayed: true };
    }
    return { message: stored, replayed: false };
  }

  private async readAndProcess(upload: PromiseLike<UploadedFile>, attempt: Attempt): Promise<ProcessedImage> {
    const bytes = await readUpload(upload, this.settings.maxBytes);
    attempt.format = sniffFormat(bytes) ?? 'other';
    const stopTimer = this.metrics.imageProcessingDuration.startTimer({ format: attempt.format });
    const image = await this.processImage(bytes);
    stopTimer();
    return image;
  }

  /** Objects first, then one transaction for the message and its image row. */
  private async storeMessage(
    em: EntityManager,
    message: { conversation: Conversation; senderId: string; caption: string | null; clientMessageId: string | null },
    image: ProcessedImage,
  ): Promise<Message | null> {
    const keys = await this.imageStorage.save(image);
    const objects = Object.values(keys);
    let stored: Message | null;
    try {
      stored = await this.messages.store(
        em,
        {
          conversation: message.conversation,
          type: MessageType.IMAGE,
          senderId: message.senderId,
          content: message.caption,
          metadata: {},
          clientMessageId: message.clientMessageId,
        },
        (tx, row) => this.insertImage(tx, row.id, image, keys),
      );
    } catch (error) {
      await this.imageStorage.removeQuietly(objects);
      throw error;
    }
    if (!stored) {
      await this.imageStorage.removeQuietly(objects);
      return null;
    }
    this.logger.info(
      { messageId: stored.id, format: image.format, bytes: image.original.length, width: image.width, height: image.height },
      'image message stored',
    );
    return stored;
  }

  private async insertImage(tx: EntityManager, messageId: string, image: ProcessedImage, keys: ImageObjectKeys): Promise<void> {
    await tx.execute(
      `insert into message_images
         (id, message_id, status, mime_type, size_bytes, width, height, original_key, preview_key, thumbnail_key, delete_after)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now() + make_interval(days => ?))`,
      [
        randomUUID(),
        messageId,
        ImageStatus.READY,
        image.mimeType,
        image.original.length,
        image.width,
        image.height,
        keys.original,
        keys.preview,
        keys.thumbnail,
        this.settings.retentionDays,
      ],
    );
  }
}

/**
 * The upload's bytes, at most `maxBytes`. Failures of the transfer itself (the client went
 * away, the file part is missing) are the caller's: BAD_USER_INPUT, not an internal error.
 */
async function readUpload(upload: PromiseLike<UploadedFile>, maxBytes: number): Promise<Buffer> {
  try {
    const file = await upload;
    return await readUploadWithCap(file.createReadStream(), maxBytes);
  } catch (error) {
    if (error instanceof DomainError) throw error;
    const status = (error as { status?: unknown } | null)?.status;
    if (status === 413) throw new DomainError(ErrorCode.PAYLOAD_TOO_LARGE, 'File is too large', { maxBytes });
    if (typeof status === 'number') throw badInput('The image upload did not complete', 'image');
    throw error;
  }
}
