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
