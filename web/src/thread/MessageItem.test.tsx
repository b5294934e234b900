import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { message } from '../test/fixtures';
import { MessageItem } from './MessageItem';

describe('MessageItem', () => {
  it('shows a pending own send without a sequence, and its upload progress', () => {
    render(<MessageItem item={{ key: 'k', own: true, status: 'pending', draft: { content: 'caption', createdAt: new Date().toISOString(), progress: 0.4 } }} onOpenImage={() => undefined} />);
    const item = screen.getByTestId('message-item');
    expect(item.dataset.status).toBe('pending');
    expect(item.hasAttribute('data-sequence')).toBe(false);
    expect(screen.getByTestId('message-content').textContent).toBe('caption');
    expect((screen.getByRole('progressbar') as HTMLProgressElement).value).toBeCloseTo(0.4);
  });

  it('shows the read receipt only once the message has readAt', () => {
    const { rerender } = render(<MessageItem item={{ key: 'm', own: true, status: 'sent', message: message({ sequence: 7 }) }} onOpenImage={() => undefined} />);
    expect(screen.getByTestId('message-item').dataset.sequence).toBe('7');
    expect(screen.queryByTestId('read-receipt')).toBeNull();
    rerender(<MessageItem item={{ key: 'm', own: true, status: 'sent', message: message({ sequence: 7, readAt: new Date().toISOString() }) }} onOpenImage={() => undefined} />);
    expect(screen.getByTestId('read-receipt')).toBeTruthy();
  });

  it('gives the other participant’s messages no status', () => {
    render(<MessageItem item={{ key: 'm', own: false, message: message() }} onOpenImage={() => undefined} />);
    expect(screen.getByTestId('message-item').hasAttribute('data-status')).toBe(false);
  });

  it('shows a READY image’s thumbnail and opens its preview', async () => {
    const onOpenImage = vi.fn();
    const image = { __typename: 'MessageImage' as const, id: 'i1', status: 'READY' as const, width: 256, height: 128, thumbnailUrl: 'https://x/t.png', previewUrl: 'https://x/p.png' };
    render(<MessageItem item={{ key: 'm', own: false, message: message({ type: 'IMAGE', image, content: 'plan' }) }} onOpenImage={onOpenImage} />);
    expect((screen.getByTestId('message-image') as HTMLImageElement).src).toBe('https://x/t.png');
    await userEvent.click(screen.getByRole('button', { name: 'Open image' }));
    expect(onOpenImage).toHaveBeenCalledWith('https://x/p.png');
  });

  it('shows no image element while the image is PENDING', () => {
    const image = { __typename: 'MessageImage' as const, id: 'i1', status: 'PENDING' as const, width: 1, height: 1, thumbnailUrl: null, previewUrl: null };
    render(<MessageItem item={{ key: 'm', own: true, status: 'sent', message: message({ type: 'IMAGE', image, content: null }) }} onOpenImage={() => undefined} />);
    expect(screen.queryByTestId('message-image')).toBeNull();
    expect(screen.getByText('Processing image…')).toBeTruthy();
  });
});

describe('MessageItem: replies, edits, deletions, reactions', () => {
  const handlers = () => ({ onReply: vi.fn(), onEdit: vi.fn(), onDelete: vi.fn(), onToggleReaction: vi.fn(), onReport: vi.fn() });
  const recent = () => new Date().toISOString();

  it('quotes the message it answers, and marks an edited one', () => {
    const replyTo = { __typename: 'Message' as const, id: 'q', content: 'Is 9 ok?', deletedAt: null, sender: { __typename: 'User' as const, id: 'other', displayName: 'Ben' } };
    render(<MessageItem item={{ key: 'm', own: true, status: 'sent', message: message({ replyTo, editedAt: recent(), revision: 2 }) }} onOpenImage={() => undefined} handlers={handlers()} />);
    expect(screen.getByTestId('reply-quote').textContent).toBe('BenIs 9 ok?');
    expect(screen.getByTestId('message-edited')).toBeTruthy();
  });

  it('shows a deleted message as a tombstone: no content, no image, no actions', () => {
    const image = { __typename: 'MessageImage' as const, id: 'i1', status: 'READY' as const, width: 1, height: 1, thumbnailUrl: 'https://x/t.png', previewUrl: null };
    render(<MessageItem item={{ key: 'm', own: true, status: 'sent', message: message({ sequence: 4, deletedAt: recent(), content: null, image }) }} onOpenImage={() => undefined} handlers={handlers()} />);
    expect(screen.getByTestId('message-item').dataset.sequence).toBe('4');
    expect(screen.getByTestId('message-deleted')).toBeTruthy();
    expect(screen.queryByTestId('message-content')).toBeNull();
    expect(screen.queryByTestId('message-image')).toBeNull();
    expect(screen.queryByTestId('message-options')).toBeNull();
  });

  it('opens the actions: reply, edit in place, delete after confirming, react', async () => {
    const h = handlers();
    render(<MessageItem item={{ key: 'm', own: true, status: 'sent', message: message({ id: 'mine', content: 'See you at 9', createdAt: recent() }) }} onOpenImage={() => undefined} handlers={h} />);
    expect(screen.queryByTestId('reply-action')).toBeNull();
    const options = screen.getByTestId('message-options');
    await userEvent.click(options);
    expect(options.getAttribute('aria-expanded')).toBe('true');
    await userEvent.click(screen.getByRole('button', { name: 'React with 👍' }));
    expect(h.onToggleReaction).toHaveBeenCalledWith('mine', '👍', true);
    await userEvent.click(screen.getByTestId('reply-action'));
    expect(h.onReply).toHaveBeenCalledWith(expect.objectContaining({ id: 'mine' }));

    await userEvent.click(options);
    await userEvent.click(screen.getByTestId('edit-action'));
    const input = screen.getByTestId('edit-input');
    expect(screen.queryByTestId('message-content')).toBeNull();
    await userEvent.clear(input);
    await userEvent.type(input, 'See you at 10{Enter}');
    expect(h.onEdit).toHaveBeenCalledWith('mine', 'See you at 10');
    expect(screen.getByTestId('message-content')).toBeTruthy();

    await userEvent.click(options);
    await userEvent.click(screen.getByTestId('delete-action'));
    await userEvent.click(screen.getByTestId('confirm-delete'));
    expect(h.onDelete).toHaveBeenCalledWith('mine');
  });

  it('shows the reactions always, the quick emoji only with the actions, none while blocked', async () => {
    const h = handlers();
    const reactions = [{ __typename: 'ReactionGroup' as const, emoji: '❤️', count: 1, reactedByViewer: false }];
    const { rerender } = render(<MessageItem item={{ key: 'm', own: false, message: message({ id: 'theirs', reactions }) }} onOpenImage={() => undefined} handlers={h} />);
    expect(screen.getByTestId('reaction').textContent).toBe('❤️ 1');
    expect(screen.queryByRole('group', { name: 'Add a reaction' })).toBeNull();
    await userEvent.click(screen.getByTestId('reaction'));
    expect(h.onToggleReaction).toHaveBeenCalledWith('theirs', '❤️', true);
    await userEvent.click(screen.getByTestId('message-options'));
    expect(screen.getByTestId('report-message-action')).toBeTruthy();
    rerender(<MessageItem item={{ key: 'm', own: false, message: message({ id: 'theirs', reactions }) }} onOpenImage={() => undefined} handlers={h} canReact={false} />);
    expect(screen.queryByRole('group', { name: 'Add a reaction' })).toBeNull();
    expect((screen.getByTestId('reaction') as HTMLButtonElement).disabled).toBe(true);
  });
});
