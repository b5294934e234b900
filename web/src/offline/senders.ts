import { CombinedGraphQLErrors } from '@apollo/client/errors';
import type { ApiClient } from '../apollo/client';
import { uploadImage } from '../composer/upload-image';
import { WebSendMessageDocument } from '../gql/graphql';
import { blockedReason, refreshBlockState } from '../lib/blocked';
import type { SendOutcome, Sender } from './outbox';

/** The outbox's way out: sendMessage over HTTP for text, a multipart upload for images. */
export function createSender(api: ApiClient, origin: string): Sender {
  const send: Sender = async (item, onProgress) => {
    if (item.image) {
      return uploadImage({
        origin,
        token: api.token,
        conversationId: item.conversationId,
        clientMessageId: item.clientMessageId,
        caption: item.content,
        replyToId: item.replyToId,
        image: item.image,
        onProgress,
      });
    }
    try {
      const { data } = await api.apollo.mutate({
        mutation: WebSendMessageDocument,
        variables: {
          input: { conversationId: item.conversationId, content: item.content, clientMessageId: item.clientMessageId, replyToId: item.replyToId },
        },
      });
      return data ? { kind: 'sent', message: data.sendMessage } : { kind: 'retry' };
    } catch (error) {
      // An answer with errors is final; anything else (offline, reset, 5xx) may not have been stored.
      if (CombinedGraphQLErrors.is(error)) return { kind: 'failed', message: error.errors[0]?.message ?? 'failed', reason: blockedReason(error.errors) };
      return { kind: 'retry' };
    }
  };
  return async (item, onProgress) => {
    const outcome: SendOutcome = await send(item, onProgress);
    // Refused because of a block (the other participant's, which nothing announces): the
    // thread reads isBlocked again and shows why its composer is gone.
    if (outcome.kind === 'failed' && outcome.reason === 'BLOCKED') refreshBlockState(api.apollo);
    return outcome;
  };
}
