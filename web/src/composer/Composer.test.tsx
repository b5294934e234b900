import { MockedProvider } from '@apollo/client/testing/react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { createCache } from '../apollo/cache';
import { SessionContext, type Session } from '../session/api-context';
import { Composer } from './Composer';

function renderComposer(replyTo: { id: string; author: string; text: string } | null, onCancelReply = vi.fn()) {
  const send = vi.fn(async () => undefined);
  // setTyping is best effort: an unmocked answer only means no typing event.
  const session = { api: { apollo: undefined }, outbox: { send }, viewerId: 'me' } as unknown as Session;
  render(
    <MockedProvider mocks={[]} cache={createCache()}>
      <SessionContext.Provider value={session}>
        <Composer conversationId="c1" replyTo={replyTo} onCancelReply={onCancelReply} />
      </SessionContext.Provider>
    </MockedProvider>,
  );
  return { send, onCancelReply };
}

describe('Composer', () => {
  it('sends a plain message without replyToId', async () => {
    const { send } = renderComposer(null);
    expect(screen.queryByTestId('reply-preview')).toBeNull();
    await userEvent.type(screen.getByTestId('message-input'), 'Hello!{Enter}');
    expect(send).toHaveBeenCalledWith({ conversationId: 'c1', content: 'Hello!', replyToId: undefined });
  });

  it('shows the message being answered and sends the reply with its replyToId, then leaves reply mode', async () => {
    const { send, onCancelReply } = renderComposer({ id: 'm7', author: 'Ben', text: 'Is 9 ok?' });
    expect(screen.getByTestId('reply-preview').textContent).toContain('Is 9 ok?');
    expect(document.activeElement).toBe(screen.getByTestId('message-input'));
    await userEvent.type(screen.getByTestId('message-input'), 'Yes{Enter}');
    expect(send).toHaveBeenCalledWith({ conversationId: 'c1', content: 'Yes', replyToId: 'm7' });
    expect(onCancelReply).toHaveBeenCalledTimes(1);
  });

  it('cancels the reply with its button or Escape', async () => {
    const { onCancelReply } = renderComposer({ id: 'm7', author: 'Ben', text: 'Is 9 ok?' });
    await userEvent.click(screen.getByTestId('cancel-reply'));
    await userEvent.type(screen.getByTestId('message-input'), '{Escape}');
    expect(onCancelReply).toHaveBeenCalledTimes(2);
  });
});
