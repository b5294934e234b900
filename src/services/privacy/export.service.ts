import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../auth/viewer';
import { notFound } from '../../errors';
import type { Logger } from '../../observability/logger';
import type { ObjectStorage } from '../../storage/object-storage';
import { EXPORT_USER_DATA, type JobQueue } from '../job-queue';
import { buildExportDocument, countMessages } from './export-document';
import { queueObjectDeletes } from './pending-object-deletes';

/** The contract's lifetime of the export's URL (and of the image URLs inside it). */
export const EXPORT_TTL_SECONDS = 24 * 60 * 60;
export interface ExportDeps {
  storage: ObjectStorage;
  jobs: JobQueue;
  logger: Logger;
  /** Users with more messages than this get their document from the export-user-data job. */
  inlineMaxMessages: number;
}

export interface UserDataExport {
  url: string;
  expiresAt: Date;
}

/**
 * exportUserData (service role): one JSON document stored in the configured object storage
 * under a fresh random key, answered as a URL signed for 24 hours. Small users are written
 * before the answer; for a large one the export-user-data job writes it (the URL answers 404
 * until then, within minutes). The object itself is queued for deletion after 24 hours.
 */
export class ExportService {
  constructor(private readonly deps: ExportDeps) {}

  async export(em: EntityManager, userId: string): Promise<UserDataExport> {
    if (!isUuid(userId)) throw notFound('User');
    const id = userId.toLowerCase();
    const found = await em.execute('select 1 from users where id = ?', [id]);
    if (found.length === 0) throw notFound('User');
    const key = `exports/${randomBytes(16).toString('hex')}.json`;
    const expiresAt = new Date(Date.now() + EXPORT_TTL_SECONDS * 1000);
    await queueObjectDeletes(em, [key], expiresAt, id);
    if ((await countMessages(em, id)) > this.deps.inlineMaxMessages) {
      await this.deps.jobs.schedule(EXPORT_USER_DATA, new Date(), { userId: id, key });
    } else {
      await this.write(em, id, key);
    }
    return { url: await this.deps.storage.signedUrl(key, EXPORT_TTL_SECONDS), expiresAt };
  }

  /** Builds the document and stores it under `key` (the job's work too). */
  async write(em: EntityManager, userId: string, key: string): Promise<void> {
    const document = await buildExportDocument(em, userId, (imageKey) => this.deps.storage.signedUrl(imageKey, EXPORT_TTL_SECONDS));
    await this.deps.storage.put(key, Buffer.from(JSON.stringify(document, null, 2)), 'application/json');
    this.deps.logger.info({ userId, conversations: document.conversations.length }, 'user data export stored');
  }
}
