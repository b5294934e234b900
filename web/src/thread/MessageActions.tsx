import { useState } from 'react';
import { withinEditWindow } from './edit-window';

export interface MessageActionsProps {
  own: boolean;
  createdAt: string;
  deleted: boolean;
  system: boolean;
  onReply: () => void;
  onEdit: () => void;
  onDelete: () => void;
  onReport: () => void;
}

/**
 * What one can do with a message: reply to any; edit and delete one's own within the edit
 * window (never a deleted or system one); report the other participant's.
 */
export function MessageActions({ own, createdAt, deleted, system, onReply, onEdit, onDelete, onReport }: MessageActionsProps) {
  const [confirming, setConfirming] = useState(false);
  if (deleted || system) return null;
  const editable = own && withinEditWindow(createdAt);
  if (confirming) {
    return (
      <div className="message-actions" role="group" aria-label="Delete this message?">
        <span>Delete for everyone?</span>
        <button type="button" data-testid="confirm-delete" onClick={() => { setConfirming(false); onDelete(); }}>
          Delete
        </button>
        <button type="button" onClick={() => setConfirming(false)}>
          Cancel
        </button>
      </div>
    );
  }
  return (
    <div className="message-actions" role="group" aria-label="Message actions">
      <button type="button" data-testid="reply-action" onClick={onReply}>
        Reply
      </button>
      {editable && (
        <button type="button" data-testid="edit-action" onClick={onEdit}>
          Edit
        </button>
      )}
      {editable && (
        <button type="button" data-testid="delete-action" onClick={() => setConfirming(true)}>
          Delete
        </button>
      )}
      {!own && (
        <button type="button" data-testid="report-message-action" onClick={onReport}>
          Report
        </button>
      )}
    </div>
  );
}
