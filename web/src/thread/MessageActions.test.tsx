import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { EditMessageForm } from './EditMessageForm';
import { MessageActions } from './MessageActions';
import { withinEditWindow } from './edit-window';

const handlers = () => ({ onReply: vi.fn(), onEdit: vi.fn(), onDelete: vi.fn(), onReport: vi.fn() });
const now = new Date().toISOString();

describe('MessageActions', () => {
  it('lets the sender edit and delete (after confirming) within the window, but not report', async () => {
    const h = handlers();
    render(<MessageActions own createdAt={now} deleted={false} system={false} {...h} />);
    expect(screen.queryByTestId('report-message-action')).toBeNull();
    await userEvent.click(screen.getByTestId('edit-action'));
    expect(h.onEdit).toHaveBeenCalled();
    await userEvent.click(screen.getByTestId('delete-action'));
    expect(h.onDelete).not.toHaveBeenCalled();
    await userEvent.click(screen.getByTestId('confirm-delete'));
    expect(h.onDelete).toHaveBeenCalledTimes(1);
  });

  it('offers the other participant’s message reply and report only', () => {
    render(<MessageActions own={false} createdAt={now} deleted={false} system={false} {...handlers()} />);
    expect(screen.getByTestId('reply-action')).toBeTruthy();
    expect(screen.getByTestId('report-message-action')).toBeTruthy();
    expect(screen.queryByTestId('edit-action')).toBeNull();
    expect(screen.queryByTestId('delete-action')).toBeNull();
  });

  it('offers nothing on deleted or system messages, and no edit after the window', () => {
    const { rerender } = render(<MessageActions own createdAt={now} deleted system={false} {...handlers()} />);
    expect(screen.queryByRole('group')).toBeNull();
    rerender(<MessageActions own createdAt={now} deleted={false} system {...handlers()} />);
    expect(screen.queryByRole('group')).toBeNull();
    rerender(<MessageActions own createdAt="2020-01-01T00:00:00.000Z" deleted={false} system={false} {...handlers()} />);
    expect(screen.queryByTestId('edit-action')).toBeNull();
    expect(withinEditWindow(new Date(Date.now() - 1439 * 60_000).toISOString())).toBe(true);
    expect(withinEditWindow(new Date(Date.now() - 1441 * 60_000).toISOString())).toBe(false);
  });
});

describe('EditMessageForm', () => {
  it('saves changed text with Enter and cancels with Escape or when unchanged', async () => {
    const onSave = vi.fn();
    const onCancel = vi.fn();
    render(<EditMessageForm initial="See you at 9" onSave={onSave} onCancel={onCancel} />);
    const input = screen.getByTestId('edit-input');
    await userEvent.clear(input);
    await userEvent.type(input, 'See you at 10{Enter}');
    expect(onSave).toHaveBeenCalledWith('See you at 10');
    await userEvent.type(input, '{Escape}');
    expect(onCancel).toHaveBeenCalledTimes(1);
  });

  it('does not send unchanged text', async () => {
    const onSave = vi.fn();
    const onCancel = vi.fn();
    render(<EditMessageForm initial="same" onSave={onSave} onCancel={onCancel} />);
    await userEvent.click(screen.getByTestId('edit-save'));
    expect(onSave).not.toHaveBeenCalled();
    expect(onCancel).toHaveBeenCalled();
  });
});
