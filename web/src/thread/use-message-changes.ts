import { useMutation } from '@apollo/client/react';
import {
  WebAddReactionDocument,
  WebBlockUserDocument,
  WebDeleteMessageDocument,
  WebEditMessageDocument,
  WebRemoveReactionDocument,
  WebReportMessageDocument,
  WebReportUserDocument,
  WebThreadHeaderDocument,
  WebUnblockUserDocument,
} from '../gql/graphql';
import type { ReportChoice } from '../safety/ReportDialog';

/** isBlocked / blockedByViewer come with the thread header's WebConversation. */
const REFRESH_HEADER = { refetchQueries: [WebThreadHeaderDocument] };

/**
 * The mutations behind MessageActions, Reactions, ThreadMenu and ReportDialog. Each change
 * answers the message's new state (normalized by id, so the thread updates by itself); a block,
 * unblock or report (which may block too) reads the thread header's isBlocked again.
 */
export function useMessageChanges(conversationId: string) {
  const [edit] = useMutation(WebEditMessageDocument);
  const [remove] = useMutation(WebDeleteMessageDocument);
  const [addReaction] = useMutation(WebAddReactionDocument);
  const [removeReaction] = useMutation(WebRemoveReactionDocument);
  const [block] = useMutation(WebBlockUserDocument, REFRESH_HEADER);
  const [unblock] = useMutation(WebUnblockUserDocument, REFRESH_HEADER);
  const [reportMessage] = useMutation(WebReportMessageDocument, REFRESH_HEADER);
  const [reportUser] = useMutation(WebReportUserDocument, REFRESH_HEADER);
  return {
    edit: (messageId: string, content: string) => edit({ variables: { input: { messageId, content } } }),
    delete: (messageId: string) => remove({ variables: { messageId } }),
    toggleReaction: (messageId: string, emoji: string, add: boolean) =>
      add ? addReaction({ variables: { messageId, emoji } }) : removeReaction({ variables: { messageId, emoji } }),
    block: (userId: string) => block({ variables: { userId } }),
    unblock: (userId: string) => unblock({ variables: { userId } }),
    reportMessage: (messageId: string, choice: ReportChoice) => reportMessage({ variables: { input: { messageId, ...choice } } }),
    reportUser: (userId: string, choice: ReportChoice) => reportUser({ variables: { input: { userId, conversationId, ...choice } } }),
  };
}
