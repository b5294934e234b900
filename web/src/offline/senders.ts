import { CombinedGraphQLErrors } from '@apollo/client/errors';
import type { ApiClient } from '../apollo/client';
import { uploadImage } from '../composer/upload-image';
import { WebSendMessageDocument } from '../gql/graphql';
import type { Sender } from './outbox';

/** The outbox's way out: sendMessage over HTTP for text, a multipart upload for images. */
export function createSender(api: ApiClient, origin: string): Sender {
  return async (item, onProgress) => {
    if (item.image) {
      return uploadImage({
        origin,
        token: api.token,
        conversationId: item.conversationId,
        clientMessageId: item.clientMessageId,
        caption: item.content,
        image: item.image,
        onProgress,
      });
    }
    try {
      const { data } = await api.apollo.mutate({
        mutation: WebSendMessageDocument,
        variables: { input: { conversationId: item.conversationId, content: item.content, clientMessageId: item.clientMessageId } },
      });
      return data ? { kind: 'sent', message: data.sendMessage } : { kind: 'retry' };
    } catch (error) {
      // An answer with errors is final; anything else (offline, reset, 5xx) may not have been stored.
      if (CombinedGraphQLErrors.is(error)) return { kind: 'failed', message: error.errors[0]?.message ?? 'failed' };
      return { kind: 'retry' };
    }
  };
}
