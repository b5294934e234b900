import { useState } from 'react';

/**
 * The thread's menu: block or unblock the other participant, report them. While a block
 * stands (either way) the composer is replaced by `BlockedNotice`.
 */
export function ThreadMenu({ blockedByViewer, onBlock, onUnblock, onReport }: { blockedByViewer: boolean; onBlock: () => void; onUnblock: () => void; onReport: () => void }) {
  const [open, setOpen] = useState(false);
  const close = (action: () => void) => () => {
    setOpen(false);
    action();
  };
  return (
    <div className="thread-menu">
      <button type="button" className="icon-button" data-testid="thread-menu" aria-haspopup="menu" aria-expanded={open} aria-label="Conversation options" onClick={() => setOpen(!open)}>
        ⋮
      </button>
      {open && (
        <ul role="menu" className="menu" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          <li role="none">
            {blockedByViewer ? (
              <button type="button" role="menuitem" data-testid="unblock-user" onClick={close(onUnblock)} autoFocus>
                Unblock
              </button>
            ) : (
              <button type="button" role="menuitem" data-testid="block-user" onClick={close(onBlock)} autoFocus>
                Block
              </button>
            )}
          </li>
          <li role="none">
            <button type="button" role="menuitem" data-testid="report-user" onClick={close(onReport)}>
              Report
            </button>
          </li>
        </ul>
      )}
    </div>
  );
}

export function BlockedNotice({ blockedByViewer }: { blockedByViewer: boolean }) {
  return (
    <p className="blocked-notice" data-testid="blocked-notice" role="status">
      {blockedByViewer ? 'You blocked this person. Unblock them to send messages.' : 'You can no longer send messages in this conversation.'}
    </p>
  );
}
