import type { WebMessageChangesFragment } from '../gql/graphql';

/** The message a reply answers; a deleted one shows as such (the reply keeps pointing at it). */
export function ReplyQuote({ replyTo, onJump }: { replyTo: NonNullable<WebMessageChangesFragment['replyTo']>; onJump?: (id: string) => void }) {
  const text = replyTo.deletedAt ? 'Deleted message' : (replyTo.content ?? 'Image');
  return (
    <button type="button" className="reply-quote" data-testid="reply-quote" onClick={() => onJump?.(replyTo.id)} aria-label={`In reply to: ${text}`}>
      <span className="reply-author">{replyTo.sender?.displayName ?? 'Someone'}</span>
      <span className={replyTo.deletedAt ? 'reply-text deleted' : 'reply-text'}>{text}</span>
    </button>
  );
}
