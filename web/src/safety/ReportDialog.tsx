import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { ReportReason } from '../gql/graphql';

export const REASONS: { value: ReportReason; label: string }[] = [
  { value: 'SPAM', label: 'Spam' },
  { value: 'SCAM', label: 'Scam or fraud' },
  { value: 'HARASSMENT', label: 'Harassment' },
  { value: 'OFF_PLATFORM_PAYMENT', label: 'Asks to pay outside the marketplace' },
  { value: 'INAPPROPRIATE_CONTENT', label: 'Inappropriate content' },
  { value: 'OTHER', label: 'Something else' },
];

export interface ReportChoice {
  reason: ReportReason;
  details?: string;
  block: boolean;
}

/** Report a message or a person: a reason, optional details, and whether to block as well. */
export function ReportDialog({ subject, onSubmit, onClose }: { subject: string; onSubmit: (choice: ReportChoice) => void; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState<ReportReason>('SPAM');
  const [details, setDetails] = useState('');
  const [block, setBlock] = useState(false);
  useEffect(() => {
    if (dialog.current && !dialog.current.open) dialog.current.showModal?.();
  }, []);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit({ reason, details: details.trim() || undefined, block });
  };
  return (
    <dialog ref={dialog} className="report-dialog" data-testid="report-dialog" aria-label={`Report ${subject}`} onCancel={onClose}>
      <form onSubmit={submit}>
        <h2>Report {subject}</h2>
        <label>
          Reason
          <select data-testid="report-reason" value={reason} onChange={(e) => setReason(e.target.value as ReportReason)}>
            {REASONS.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Details (optional)
          <textarea data-testid="report-details" value={details} maxLength={1000} onChange={(e) => setDetails(e.target.value)} />
        </label>
        <label className="switch-row">
          <input type="checkbox" data-testid="report-block" checked={block} onChange={(e) => setBlock(e.target.checked)} />
          Also block them
        </label>
        <button type="submit" data-testid="report-submit">
          Send report
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </form>
    </dialog>
  );
}
