import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ReportDialog } from './ReportDialog';
import { BlockedNotice, ThreadMenu } from './ThreadMenu';

describe('ThreadMenu', () => {
  it('blocks, or unblocks when the viewer blocks them, and reports', async () => {
    const onBlock = vi.fn();
    const onUnblock = vi.fn();
    const onReport = vi.fn();
    const { rerender } = render(<ThreadMenu blockedByViewer={false} onBlock={onBlock} onUnblock={onUnblock} onReport={onReport} />);
    const toggle = screen.getByTestId('thread-menu');
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    await userEvent.click(toggle);
    await userEvent.click(screen.getByTestId('block-user'));
    expect(onBlock).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('menu')).toBeNull();
    rerender(<ThreadMenu blockedByViewer onBlock={onBlock} onUnblock={onUnblock} onReport={onReport} />);
    await userEvent.click(toggle);
    await userEvent.click(screen.getByTestId('unblock-user'));
    expect(onUnblock).toHaveBeenCalledTimes(1);
    await userEvent.click(toggle);
    await userEvent.click(screen.getByTestId('report-user'));
    expect(onReport).toHaveBeenCalledTimes(1);
  });

  it('says why the composer is gone', () => {
    const { rerender } = render(<BlockedNotice blockedByViewer />);
    expect(screen.getByTestId('blocked-notice').textContent).toMatch(/You blocked/);
    rerender(<BlockedNotice blockedByViewer={false} />);
    expect(screen.getByTestId('blocked-notice').textContent).toMatch(/no longer send/);
  });
});

describe('ReportDialog', () => {
  it('sends the reason, the trimmed details and the block choice', async () => {
    const onSubmit = vi.fn();
    render(<ReportDialog subject="Ben" onSubmit={onSubmit} onClose={() => undefined} />);
    await userEvent.selectOptions(screen.getByTestId('report-reason'), 'OFF_PLATFORM_PAYMENT');
    await userEvent.type(screen.getByTestId('report-details'), '  asked for Bizum  ');
    await userEvent.click(screen.getByTestId('report-block'));
    await userEvent.click(screen.getByTestId('report-submit'));
    expect(onSubmit).toHaveBeenCalledWith({ reason: 'OFF_PLATFORM_PAYMENT', details: 'asked for Bizum', block: true });
  });

  it('leaves details out when empty', async () => {
    const onSubmit = vi.fn();
    render(<ReportDialog subject="Ben" onSubmit={onSubmit} onClose={() => undefined} />);
    await userEvent.click(screen.getByTestId('report-submit'));
    expect(onSubmit).toHaveBeenCalledWith({ reason: 'SPAM', details: undefined, block: false });
  });
});
