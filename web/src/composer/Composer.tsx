import { useMutation } from '@apollo/client/react';
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { WebSetTypingDocument } from '../gql/graphql';
import { isBlockedError, refreshBlockState } from '../lib/blocked';
import { useSession } from '../session/api-context';
import { TYPING_REFRESH_MS } from '../thread/use-typing';

const ACCEPTED = 'image/jpeg,image/png,image/webp';

/** The message being answered, as the composer shows it above the input. */
export interface ReplyTarget {
  id: string;
  author: string;
  text: string;
}

/**
 * Text and images. Sending goes through the outbox, so a send without network waits there
 * and is retried; choosing an image sends it at once with the text as its caption. With
 * `replyTo`, the next send answers that message (its id travels in the outbox item).
 */
export function Composer({ conversationId, replyTo, onCancelReply }: { conversationId: string; replyTo?: ReplyTarget | null; onCancelReply?: () => void }) {
  const { api, outbox } = useSession();
  const [text, setText] = useState('');
  const lastTypingSent = useRef(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const [setTyping] = useMutation(WebSetTypingDocument);

  // Choosing "Reply" puts the caret where the answer goes.
  useEffect(() => {
    if (replyTo) input.current?.focus();
  }, [replyTo]);

  const typing = (isTyping: boolean) => {
    // Typing is best effort: a lost event must not disturb the composer. A refusal because of
    // a block means this side missed the block's event: read the block state again.
    setTyping({ variables: { conversationId, isTyping } }).catch((error: unknown) => {
      if (isBlockedError(error)) refreshBlockState(api.apollo);
    });
  };

  const onChange = (value: string) => {
    setText(value);
    const now = Date.now();
    if (value.trim() && now - lastTypingSent.current >= TYPING_REFRESH_MS) {
      lastTypingSent.current = now;
      typing(true);
    }
  };

  const stopTyping = () => {
    if (lastTypingSent.current === 0) return;
    lastTypingSent.current = 0;
    typing(false);
  };

  const send = (event?: FormEvent) => {
    event?.preventDefault();
    const content = text.trim();
    if (!content) return;
    setText('');
    stopTyping();
    void outbox.send({ conversationId, content, replyToId: replyTo?.id });
    onCancelReply?.();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Escape' && replyTo) onCancelReply?.();
    else if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) send(event);
  };

  const onFile = (files: FileList | null) => {
    const image = files?.[0];
    if (!image) return;
    const caption = text.trim();
    setText('');
    stopTyping();
    void outbox.send({ conversationId, content: caption, image, replyToId: replyTo?.id });
    onCancelReply?.();
    if (fileInput.current) fileInput.current.value = '';
  };

  return (
    <form className="composer" onSubmit={send} aria-label="Write a message">
      {replyTo && (
        <div className="reply-preview" data-testid="reply-preview">
          <p>
            <span className="reply-author">Replying to {replyTo.author}</span>
            <span className="reply-text">{replyTo.text}</span>
          </p>
          <button type="button" className="icon-button" data-testid="cancel-reply" aria-label="Cancel the reply" onClick={onCancelReply}>
            ×
          </button>
        </div>
      )}
      <label className="image-picker" title="Send an image">
        <span className="visually-hidden">Send an image</span>
        <svg aria-hidden="true" width="24" height="24" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
          <rect x="3" y="5" width="18" height="14" rx="2" />
          <circle cx="8.5" cy="10" r="1.5" />
          <path d="M21 16l-5-5-9 8" />
        </svg>
        <input ref={fileInput} type="file" accept={ACCEPTED} data-testid="image-input" onChange={(event) => onFile(event.target.files)} />
      </label>
      <label className="visually-hidden" htmlFor="message-input">
        Message
      </label>
      <textarea
        id="message-input"
        ref={input}
        data-testid="message-input"
        rows={1}
        value={text}
        placeholder="Message"
        onChange={(event) => onChange(event.target.value)}
        onKeyDown={onKeyDown}
        onBlur={stopTyping}
      />
      <button type="submit" data-testid="send-button">
        Send
      </button>
    </form>
  );
}
