import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { print } from 'graphql';
import { SendImageMessageDocument, type SendImageMessageMutation } from '../generated/graphql';
import type { GraphQLResponse, TestServer } from '../helpers/test-server';

/** GraphQL multipart requests (https://github.com/jaydenseric/graphql-multipart-request-spec) over node:http. */

export interface ImageInput {
  conversationId: string;
  caption?: string | null;
  clientMessageId?: string | null;
  replyToId?: string | null;
}

export interface UploadOptions {
  token?: string | null;
  filename?: string;
  contentType?: string;
  /** Sends `apollo-require-preflight: true` unless false. */
  preflight?: boolean;
  /** Streams the file in these chunks with chunked encoding (no Content-Length). */
  chunks?: AsyncIterable<Buffer>;
  /** E.g. a keep-alive agent with one socket, to see that the connection can serve the next request. */
  agent?: http.Agent;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** The multipart body around one file: everything before its bytes, and after. */
export function multipartFraming(input: ImageInput, filename: string, contentType: string) {
  const boundary = `----test${randomBytes(8).toString('hex')}`;
  const operations = JSON.stringify({ query: print(SendImageMessageDocument), variables: { input: { ...input, image: null } } });
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = Buffer.from(
    field('operations', operations) +
      field('map', JSON.stringify({ 0: ['variables.input.image'] })) +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { contentType: `multipart/form-data; boundary=${boundary}`, head, tail };
}

function headersFor(options: UploadOptions, contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...(options.preflight === false ? {} : { 'apollo-require-preflight': 'true' }),
  };
}

/**
 * Posts a body (a Buffer, or chunks sent as they come) and reads the whole answer. Resolves
 * once the body has been sent as well: a server that stopped reading it would stall here.
 */
export function post(url: string, headers: Record<string, string>, body: Buffer | AsyncIterable<Buffer>, agent?: http.Agent): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers: Buffer.isBuffer(body) ? { ...headers, 'content-length': String(body.length) } : headers });
    const sent = new Promise((r) => request.once('finish', r));
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => void sent.then(() => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text })));
      response.on('error', reject);
    });
    request.on('error', (error) => reject(error));
    void (async () => {
      if (Buffer.isBuffer(body)) request.end(body);
      else {
        for await (const chunk of body) {
          if (request.destroyed) return;
          if (!request.write(chunk)) await new Promise((r) => request.once('drain', r));
        }
        request.end();
      }
    })().catch(() => undefined);
  });
}

/** sendImageMessage with one file, as a browser or app would send it. */
export async function sendImage(server: TestServer, input: ImageInput, file: Buffer, options: UploadOptions = {}) {
  const framing = multipartFraming(input, options.filename ?? 'photo.jpg', options.contentType ?? 'image/jpeg');
  const headers = headersFor(options, framing.contentType);
  const body = options.chunks
    ? (async function* () {
        yield framing.head;
        yield* options.chunks!;
        yield framing.tail;
      })()
    : Buffer.concat([framing.head, file, framing.tail]);
  const raw = await post(server.url, headers, body, options.agent);
  const json = JSON.parse(raw.body) as Omit<GraphQLResponse<SendImageMessageMutation>, 'status'>;
  return { ...json, status: raw.status, headers: raw.headers };
}

/** `count` chunks of `size` random bytes. */
export async function* randomChunks(count: number, size = 64 * 1024): AsyncIterable<Buffer> {
  for (let i = 0; i < count; i += 1) yield randomBytes(size);
}

/** Messages and image rows of a conversation, straight from the database. */
export async function storedRows(server: TestServer, conversationId: string): Promise<{ messages: number; images: number }> {
  const em = server.service.orm.em.fork();
  const [row] = await em.execute(
    `select (select count(*) from messages where conversation_id = ?) as messages,
            (select count(*) from message_images i join messages m on m.id = i.message_id where m.conversation_id = ?) as images`,
    [conversationId, conversationId],
  );
  return { messages: Number(row.messages), images: Number(row.images) };
}

/** Every object file under a local storage directory (sidecars excluded). */
export async function localObjects(directory: string): Promise<string[]> {
  const entries = await fs.readdir(directory, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() && !entry.name.endsWith('.meta.json'))
    .map((entry) => path.relative(directory, path.join(entry.parentPath ?? entry.path, entry.name)))
    .sort();
}

/** Fetches a signed URL: status, headers and bytes. */
export async function download(url: string): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const response = await fetch(url);
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}
