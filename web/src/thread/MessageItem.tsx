import { useState, type MouseEvent } from 'react';
import type { WebMessageFragment } from '../gql/graphql';
import { timeOfDay } from '../lib/format';
import { EditMessageForm } from './EditMessageForm';
import { MessageActions } from './MessageActions';
import { Reactions } from './Reactions';
import { ReplyQuote } from './ReplyQuote';

export type OwnStatus = 'pending' | 'sent' | 'failed';

export interface ShownMessage {
  /** The message id, or the clientMessageId while pending. */
  key: string;
  message?: WebMessageFragment;
  /** Pending or failed sends: what the viewer wrote, before the service answered. */
  draft?: { content: string; imageUrl?: string; progress?: number; createdAt: string; replyTo?: WebMessageFragment['replyTo'] };
  own: boolean;
  status?: OwnStatus;
}

/** What the thread does for a message's actions; without it (a draft, a test) none are offered. */
export interface MessageHandlers {
  onReply: (message: WebMessageFragment) => void;
  onEdit: (messageId: string, content: string) => void;
  onDelete: (messageId: string) => void;
  onToggleReaction: (messageId: string, emoji: string, add: boolean) => void;
  onReport: (message: WebMessageFragment) => void;
  onJump?: (messageId: string) => void;
}

export function MessageItem({
  item,
  onOpenImage,
  handlers,
  canReact = true,
}: {
  item: ShownMessage;
  onOpenImage: (url: string) => void;
  handlers?: MessageHandlers;
  /** False while the conversation is blocked: the service refuses reactions then. */
  canReact?: boolean;
}) {
  const { message, draft, own, status } = item;
  const [actionsOpen, setActionsOpen] = useState(false);
  const [editing, setEditing] = useState(false);
  const deleted = Boolean(message?.deletedAt);
  const content = message ? message.content : draft?.content;
  const image = deleted ? null : message?.image;
  const imageUrl = image?.status === 'READY' ? (image.thumbnailUrl ?? image.previewUrl) : null;
  const createdAt = message?.createdAt ?? draft?.createdAt;
  const replyTo = message ? message.replyTo : draft?.replyTo;
  const system = message?.type === 'SYSTEM';
  const actionable = Boolean(handlers && message && !deleted && !system);
  // A long press on a phone opens the context menu: it opens the message's actions instead.
  const onContextMenu = actionable ? (event: MouseEvent) => { event.preventDefault(); setActionsOpen(true); } : undefined;
  return (
    <li
      data-testid="message-item"
      data-sequence={message?.sequence}
      data-message-id={message?.id}
      data-status={own ? status : undefined}
      className={`message ${own ? 'own' : 'theirs'} ${system ? 'system' : ''} ${status ?? ''} ${deleted ? 'deleted' : ''}`}
    >
      <div className="bubble" onContextMenu={onContextMenu}>
        {replyTo && !deleted && <ReplyQuote replyTo={replyTo} onJump={handlers?.onJump} />}
        {imageUrl && (
          <button type="button" className="thumbnail" onClick={() => onOpenImage(image?.previewUrl ?? imageUrl)} aria-label="Open image">
            <img data-testid="message-image" src={imageUrl} alt={content ? `Image: ${content}` : 'Image'} width={image?.width} height={image?.height} />
          </button>
        )}
        {image && image.status === 'PENDING' && <p className="image-status">Processing image…</p>}
        {image && image.status === 'DELETED' && <p className="image-status">Image no longer available</p>}
        {draft?.imageUrl && <img className="draft-image" src={draft.imageUrl} alt="Image being sent" />}
        {draft?.progress !== undefined && status === 'pending' && (
          <progress className="upload-progress" max={1} value={draft.progress} aria-label="Upload progress" />
        )}
        {deleted && (
          <p className="tombstone" data-testid="message-deleted">
            Message deleted
          </p>
        )}
        {!deleted && editing && message && handlers ? (
          <EditMessageForm
            initial={message.content ?? ''}
            onCancel={() => setEditing(false)}
            onSave={(text) => {
              setEditing(false);
              handlers.onEdit(message.id, text);
            }}
          />
        ) : (
          !deleted && content && <p data-testid="message-content">{content}</p>
        )}
        <p className="meta">
          {message?.editedAt && !deleted && (
            <span className="edited" data-testid="message-edited">
              edited
            </span>
          )}
          {createdAt && <time dateTime={createdAt}>{timeOfDay(createdAt)}</time>}
          {own && status === 'pending' && <span className="state">Sending…</span>}
          {own && status === 'failed' && <span className="state failed">Not sent</span>}
          {own && status === 'sent' && !message?.readAt && <span className="state" aria-label="Sent">✓</span>}
          {own && message?.readAt && (
            <span className="state read" data-testid="read-receipt" aria-label="Read">
              ✓✓
            </span>
          )}
          {actionable && (
            <button
              type="button"
              className="message-options"
              data-testid="message-options"
              aria-expanded={actionsOpen}
              aria-label="More actions"
              onClick={() => setActionsOpen(!actionsOpen)}
            >
              ⋯
            </button>
          )}
        </p>
        {message && !deleted && handlers && (message.reactions.length > 0 || actionsOpen) && (
          <Reactions
            reactions={message.reactions}
            picker={actionsOpen && canReact}
            disabled={!canReact}
            onToggle={(emoji, add) => handlers.onToggleReaction(message.id, emoji, add)}
          />
        )}
        {actionable && actionsOpen && message && handlers && (
          <MessageActions
            own={own}
            createdAt={message.createdAt}
            deleted={deleted}
            system={system}
            onReply={() => {
              setActionsOpen(false);
              handlers.onReply(message);
            }}
            onEdit={() => {
              setActionsOpen(false);
              setEditing(true);
            }}
            onDelete={() => {
              setActionsOpen(false);
              handlers.onDelete(message.id);
            }}
            onReport={() => {
              setActionsOpen(false);
              handlers.onReport(message);
            }}
          />
        )}
      </div>
    </li>
  );
}
