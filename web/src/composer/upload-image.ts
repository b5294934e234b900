import type { WebMessageFragment } from '../gql/graphql';
import { print } from 'graphql';
import { WebSendImageDocument as SendImageDocument } from '../gql/graphql';
import { blockedReason } from '../lib/blocked';

export type UploadOutcome = { kind: 'sent'; message: WebMessageFragment } | { kind: 'failed'; message: string; reason?: string } | { kind: 'retry' };

export interface UploadRequest {
  origin: string;
  token: string;
  conversationId: string;
  clientMessageId: string;
  caption: string;
  replyToId?: string;
  image: Blob;
  onProgress?: (fraction: number) => void;
}

/**
 * sendImageMessage as a GraphQL multipart request (the spec's `operations` + `map` + file).
 * XMLHttpRequest, not fetch: only it reports upload progress, which the composer shows.
 * A network failure answers `retry` (the outbox tries again with the same clientMessageId);
 * an answer with errors answers `failed`.
 */
export function uploadImage(request: UploadRequest): Promise<UploadOutcome> {
  const form = new FormData();
  form.append(
    'operations',
    JSON.stringify({
      query: print(SendImageDocument),
      variables: {
        input: { conversationId: request.conversationId, clientMessageId: request.clientMessageId, caption: request.caption, replyToId: request.replyToId, image: null },
      },
    }),
  );
  form.append('map', JSON.stringify({ 0: ['variables.input.image'] }));
  form.append('0', request.image, request.image instanceof File ? request.image.name : 'image');
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${request.origin}/graphql`);
    xhr.setRequestHeader('authorization', `Bearer ${request.token}`);
    // Apollo Server's CSRF prevention refuses multipart requests without a preflight header.
    xhr.setRequestHeader('apollo-require-preflight', 'true');
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) request.onProgress?.(event.loaded / event.total);
    };
    xhr.onerror = () => resolve({ kind: 'retry' });
    xhr.ontimeout = () => resolve({ kind: 'retry' });
    xhr.onload = () => {
      let body: { data?: { sendImageMessage?: WebMessageFragment }; errors?: { message: string; extensions?: Record<string, unknown> }[] } | undefined;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (body?.data?.sendImageMessage) resolve({ kind: 'sent', message: body.data.sendImageMessage });
      else if (body?.errors?.length) resolve({ kind: 'failed', message: body.errors[0].message, reason: blockedReason(body.errors) });
      // A proxy's or a draining server's non-GraphQL answer: the message may not be stored yet.
      else resolve({ kind: 'retry' });
    };
    xhr.send(form);
  });
}
