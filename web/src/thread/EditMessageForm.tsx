import { useState, type FormEvent, type KeyboardEvent } from 'react';

/** Inline editing of one's own message: Enter saves, Escape cancels; unchanged text is not sent. */
export function EditMessageForm({ initial, onSave, onCancel }: { initial: string; onSave: (content: string) => void; onCancel: () => void }) {
  const [text, setText] = useState(initial);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const content = text.trim();
    if (!content || content === initial.trim()) return onCancel();
    onSave(content);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Escape') onCancel();
    else if (event.key === 'Enter' && !event.shiftKey) submit(event);
  };
  return (
    <form className="edit-message" onSubmit={submit} aria-label="Edit message">
      <label className="visually-hidden" htmlFor="edit-message-input">
        Edit message
      </label>
      <textarea id="edit-message-input" data-testid="edit-input" autoFocus value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKeyDown} />
      <button type="submit" data-testid="edit-save">
        Save
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
