import { useMutation } from '@apollo/client/react';
import {
  PendingAddReactionDocument,
  PendingBlockUserDocument,
  PendingDeleteMessageDocument,
  PendingEditMessageDocument,
  PendingRemoveReactionDocument,
  PendingReportMessageDocument,
  PendingReportUserDocument,
  PendingUnblockUserDocument,
} from './gql/graphql';
import type { ReportChoice } from './ReportDialog';

/**
 * The mutations behind MessageActions, Reactions, ThreadMenu and ReportDialog. Each answer is
 * the message's new state (normalized by id, so the thread updates by itself); a block
 * refetches the conversation's isBlocked / blockedByViewer.
 */
export function useMessageChanges(conversationId: string) {
  const [edit] = useMutation(PendingEditMessageDocument);
  const [remove] = useMutation(PendingDeleteMessageDocument);
  const [addReaction] = useMutation(PendingAddReactionDocument);
  const [removeReaction] = useMutation(PendingRemoveReactionDocument);
  const [block] = useMutation(PendingBlockUserDocument, { refetchQueries: ['PendingConversationSafety'] });
  const [unblock] = useMutation(PendingUnblockUserDocument, { refetchQueries: ['PendingConversationSafety'] });
  const [reportMessage] = useMutation(PendingReportMessageDocument, { refetchQueries: ['PendingConversationSafety'] });
  const [reportUser] = useMutation(PendingReportUserDocument, { refetchQueries: ['PendingConversationSafety'] });
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
