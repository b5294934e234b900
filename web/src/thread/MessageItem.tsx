import type { WebMessageFragment } from '../gql/graphql';
import { timeOfDay } from '../lib/format';

export type OwnStatus = 'pending' | 'sent' | 'failed';

export interface ShownMessage {
  /** The message id, or the clientMessageId while pending. */
  key: string;
  message?: WebMessageFragment;
  /** Pending or failed sends: what the viewer wrote, before the service answered. */
  draft?: { content: string; imageUrl?: string; progress?: number; createdAt: string };
  own: boolean;
  status?: OwnStatus;
}

export function MessageItem({ item, onOpenImage }: { item: ShownMessage; onOpenImage: (url: string) => void }) {
  const { message, draft, own, status } = item;
  const content = message ? message.content : draft?.content;
  const image = message?.image;
  const imageUrl = image?.status === 'READY' ? (image.thumbnailUrl ?? image.previewUrl) : null;
  const createdAt = message?.createdAt ?? draft?.createdAt;
  return (
    <li
      data-testid="message-item"
      data-sequence={message?.sequence}
      data-status={own ? status : undefined}
      className={`message ${own ? 'own' : 'theirs'} ${message?.type === 'SYSTEM' ? 'system' : ''} ${status ?? ''}`}
    >
      <div className="bubble">
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
        {content && <p data-testid="message-content">{content}</p>}
        <p className="meta">
          {createdAt && <time dateTime={createdAt}>{timeOfDay(createdAt)}</time>}
          {own && status === 'pending' && <span className="state">Sending…</span>}
          {own && status === 'failed' && <span className="state failed">Not sent</span>}
          {own && status === 'sent' && !message?.readAt && <span className="state" aria-label="Sent">✓</span>}
          {own && message?.readAt && (
            <span className="state read" data-testid="read-receipt" aria-label="Read">
              ✓✓
            </span>
          )}
        </p>
      </div>
    </li>
  );
}
