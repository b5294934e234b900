import type { Readable } from 'node:stream';
import { badInput, DomainError, ErrorCode } from '../errors';
import { processImageLimited, sniffFormat, type ProcessedImage } from '../images/image-processor';
import { readUploadWithCap } from '../images/read-upload';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { MessageType } from '../schema/common/enums';
import type { Message } from '../schema/message/message.entity';
import type { ImageStorageService } from './image-storage.service';
import { checkClientMessageId, checkReplyToId } from './message.service';
import { applyContactInfoPolicy, type ContactInfoPolicy } from './detection';
import { sanitizeContent } from './sanitize';
import type { SendPipeline } from './send-pipeline';

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
  replyToId?: string | null;
}

export interface ImageMessageSettings {
  /** Upload cap in bytes (the contract's 5 MB). */
  maxBytes: number;
  /** Caption length cap in characters, as for text content. */
  maxCaptionLength: number;
  /** Days from upload until the expiry routine deletes the objects. */
  retentionDays: number;
  /** CONTACT_INFO_POLICY for captions (services/detection). */
  contactInfoPolicy: ContactInfoPolicy;
}

/** Validates, cleans and resizes; `processImageLimited` by default. */
export type ImageProcessor = (input: Buffer) => Promise<ProcessedImage>;

/** The format label of the metrics: known once the first bytes are read. */
interface Attempt {
  format: string;
}

export interface ImageMessageServiceOptions {
  pipeline: SendPipeline;
  imageStorage: ImageStorageService;
  metrics: Metrics;
  logger: Logger;
  settings: ImageMessageSettings;
  /** Validates, cleans and resizes; `processImageLimited` by default. */
  processImage?: ImageProcessor;
}

/**
 * sendImageMessage through the send pipeline: membership, idempotent replay and the rate limit
 * come first (reading an upload is expensive, so they are checked before it), then the caption,
 * the upload (capped while it streams), its validation and processing, the stored objects, and
 * only then the message and its image row, in one statement. Whatever fails leaves neither a
 * message nor an object behind, and gives the rate-limit point back.
 */
export class ImageMessageService {
  private readonly processImage: ImageProcessor;

  constructor(private readonly options: ImageMessageServiceOptions) {
    this.processImage = options.processImage ?? processImageLimited;
  }

  /** Sends an image message; counts the outcome by format in `image_uploads_total`. */
  async send(senderId: string, input: SendImageInput): Promise<Message> {
    const attempt: Attempt = { format: 'unknown' };
    const { metrics } = this.options;
    try {
      const { message, replayed } = await this.attempt(senderId, input, attempt);
      metrics.imageUploads.inc({ outcome: replayed ? 'replayed' : 'stored', format: attempt.format });
      return message;
    } catch (error) {
      const outcome = error instanceof DomainError ? error.code.toLowerCase() : 'error';
      metrics.imageUploads.inc({ outcome, format: attempt.format });
      throw error;
    }
  }

  /** Sanitised like text content; empty after sanitising means no caption. */
  checkCaption(raw: string | null | undefined): string | null {
    if (raw === null || raw === undefined) return null;
    const caption = sanitizeContent(raw).trim();
    const max = this.options.settings.maxCaptionLength;
    if ([...caption].length > max) {
      throw badInput(`caption must be at most ${max} characters after removing HTML and trimming`, 'caption');
    }
    return caption.length > 0 ? caption : null;
  }

  private async attempt(senderId: string, input: SendImageInput, attempt: Attempt) {
    const { imageStorage, settings } = this.options;
    let stored: string[] = [];
    const result = await this.options.pipeline.send({
      conversationId: input.conversationId,
      senderId,
      clientMessageId: checkClientMessageId(input.clientMessageId),
      expensive: true,
      prepare: async () => {
        const raw = this.checkCaption(input.caption);
        // The caption's policy runs before the upload is read: a blocked caption costs no processing.
        const checked = raw === null ? null : applyContactInfoPolicy(raw, settings.contactInfoPolicy, 'caption');
        const caption = checked?.text ?? null;
        const replyToId = checkReplyToId(input.replyToId);
        const image = await this.readAndProcess(input.image, attempt);
        const keys = await imageStorage.save(image);
        stored = Object.values(keys);
        return {
          type: MessageType.IMAGE,
          content: caption,
          flags: checked?.flags ?? [],
          metadata: {},
          replyToId,
          image: {
            mimeType: image.mimeType,
            sizeBytes: image.original.length,
            width: image.width,
            height: image.height,
            originalKey: keys.original,
            previewKey: keys.preview,
            thumbnailKey: keys.thumbnail,
            deleteAfter: new Date(Date.now() + settings.retentionDays * 86_400_000),
          },
        };
      },
      keepsPoint: isRefusedImage,
      discard: () => imageStorage.removeQuietly(stored),
    });
    if (!result.replayed) {
      const image = result.message.imageRow;
      this.options.logger.info(
        { messageId: result.message.id, format: attempt.format, bytes: image?.sizeBytes, width: image?.width, height: image?.height },
        'image message stored',
      );
    }
    return result;
  }

  private async readAndProcess(upload: PromiseLike<UploadedFile>, attempt: Attempt): Promise<ProcessedImage> {
    const bytes = await readUpload(upload, this.options.settings.maxBytes);
    attempt.format = sniffFormat(bytes) ?? 'other';
    const stopTimer = this.options.metrics.imageProcessingDuration.startTimer({ format: attempt.format });
    const image = await this.processImage(bytes);
    stopTimer();
    return image;
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

/** The image itself was refused (not decodable, not a kind we take, too many pixels): its attempt counts. */
function isRefusedImage(error: unknown): boolean {
  return error instanceof DomainError && (error.code === ErrorCode.UNSUPPORTED_MEDIA_TYPE || error.code === ErrorCode.PAYLOAD_TOO_LARGE);
}
