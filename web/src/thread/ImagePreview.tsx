import { useEffect, useRef } from 'react';

/** A modal <dialog>: Escape and the close button close it, and focus returns where it was. */
export function ImagePreview({ url, onClose }: { url: string; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const el = dialog.current;
    const opener = document.activeElement as HTMLElement | null;
    if (el && !el.open) el.showModal?.();
    return () => opener?.focus?.();
  }, []);
  return (
    <dialog ref={dialog} className="image-preview" data-testid="image-preview" aria-label="Image preview" onClose={onClose} onCancel={onClose}>
      <img src={url} alt="Preview" />
      <button type="button" onClick={onClose} autoFocus>
        Close
      </button>
    </dialog>
  );
}
