import { useMutation, useQuery } from '@apollo/client/react';
import { Fragment, useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { addMessageToCache } from '../apollo/cache-updates';
import { useConnectionStatus } from '../apollo/connection-status';
import { Composer, type ReplyTarget } from '../composer/Composer';
import { WebMarkReadDocument, WebMessagesDocument, WebThreadHeaderDocument, WebThreadMessagesDocument, type WebMessageFragment } from '../gql/graphql';
import { isBlockedError, refreshBlockState } from '../lib/blocked';
import { dayKey, dayLabel, displayName } from '../lib/format';
import { ReportDialog, type ReportChoice } from '../safety/ReportDialog';
import { BlockedNotice, ThreadMenu } from '../safety/ThreadMenu';
import { useSession } from '../session/api-context';
import { ImagePreview } from './ImagePreview';
import { MessageItem, type MessageHandlers, type ShownMessage } from './MessageItem';
import { TypingIndicator } from './TypingIndicator';
import { useDraftImageUrls } from './use-draft-image-urls';
import { useMessageChanges } from './use-message-changes';
import { useMessageUpdates } from './use-message-updates';
import { refreshLatestMessages, usePendingImageRefresh } from './use-pending-image-refresh';
import { useOtherTyping } from './use-typing';

const PAGE = 50;
/** Within this many pixels of the top, the previous page loads; of the bottom, new ones stick. */
const EDGE_PX = 80;

export function Thread({ conversationId, onBack }: { conversationId: string; onBack: () => void }) {
  const { api, outbox, viewerId } = useSession();
  const header = useQuery(WebThreadHeaderDocument, { variables: { id: conversationId } });
  const { data, loading, error, fetchMore } = useQuery(WebMessagesDocument, { variables: { conversationId, last: PAGE } });
  const [markRead] = useMutation(WebMarkReadDocument);
  const outboxState = useSyncExternalStore(outbox.subscribe, outbox.get);
  const { generation } = useConnectionStatus(api.status);
  const otherTyping = useOtherTyping(conversationId);
  const [previewUrl, setPreviewUrl] = useState<string | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const nearBottom = useRef(true);
  const restoreFrom = useRef<{ height: number; top: number } | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [replyTo, setReplyTo] = useState<ReplyTarget | null>(null);
  const [reporting, setReporting] = useState<{ messageId?: string } | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const changes = useMessageChanges(conversationId);

  const connection = data?.conversation.messages;
  const messages = useMemo(() => (connection?.edges ?? []).map((edge) => edge.node), [connection]);
  const maxSequence = messages.length ? messages[messages.length - 1].sequence : 0;
  const maxSequenceRef = useRef(0);
  maxSequenceRef.current = maxSequence;
  const maxRevision = useMemo(() => messages.reduce((max, m) => Math.max(max, m.revision), 0), [messages]);
  const loaded = data !== undefined;

  // Edits, deletions and reactions, resumed after every reconnect from the highest revision seen.
  useMessageUpdates(api.apollo, conversationId, generation, maxRevision, loaded);

  // Live messages of this thread, resumed after every reconnect from the highest sequence shown.
  useEffect(() => {
    if (!loaded) return undefined;
    const subscription = api.apollo
      .subscribe({ query: WebThreadMessagesDocument, variables: { conversationId, afterSequence: maxSequenceRef.current } })
      .subscribe(({ data: event }) => {
        const message = event?.messageReceived;
        if (!message) return;
        addMessageToCache(api.apollo.cache, message);
        if (message.sender && message.sender.id !== viewerId) {
          markRead({ variables: { input: { conversationId, upToMessageId: message.id } } }).catch(() => undefined);
        }
      });
    return () => subscription.unsubscribe();
  }, [api, conversationId, generation, loaded, markRead, viewerId]);

  // Receipts (readAt) missed while the socket was down; new messages come from the replay above.
  useEffect(() => {
    if (generation > 1) void refreshLatestMessages(api.apollo, conversationId, 50);
  }, [api, conversationId, generation]);

  // Opening the thread reads the other participant's messages.
  useEffect(() => {
    if (loaded) markRead({ variables: { input: { conversationId } } }).catch(() => undefined);
  }, [conversationId, loaded, markRead]);

  // A refused change says why: a block (then the header is read again) or another error.
  const failed = (what: string) => (error: unknown) => {
    if (isBlockedError(error)) refreshBlockState(api.apollo);
    setActionError(isBlockedError(error) ? `Could not ${what}: this conversation is blocked.` : `Could not ${what}. Try again.`);
  };
  const handlersRef = useRef(changes);
  handlersRef.current = changes;
  const handlers: MessageHandlers = useMemo(
    () => ({
      onReply: (message: WebMessageFragment) => {
        const author = message.sender?.id === viewerId ? 'yourself' : displayName(header.data?.conversation.otherParticipant);
        setReplyTo({ id: message.id, author, text: message.content ?? 'Image' });
      },
      onEdit: (messageId, content) => {
        setActionError(null);
        handlersRef.current.edit(messageId, content).catch(failed('edit the message'));
      },
      onDelete: (messageId) => {
        setActionError(null);
        handlersRef.current.delete(messageId).catch(failed('delete the message'));
      },
      onToggleReaction: (messageId, emoji, add) => {
        setActionError(null);
        handlersRef.current.toggleReaction(messageId, emoji, add).catch(failed('react'));
      },
      onReport: (message) => setReporting({ messageId: message.id }),
      onJump: (messageId) => document.querySelector(`[data-message-id="${CSS.escape(messageId)}"]`)?.scrollIntoView({ block: 'center' }),
    }),
    // `failed` reads only api and state setters; the mutations are read through handlersRef.
    [viewerId, header.data, api],
  );

  const draftUrls = useDraftImageUrls(outboxState.items);
  usePendingImageRefresh(conversationId, messages);

  const shown: ShownMessage[] = useMemo(() => {
    const sentKeys = new Set(messages.map((m) => m.clientMessageId).filter(Boolean));
    const list: ShownMessage[] = messages.map((message) => {
      const own = message.sender?.id === viewerId;
      return { key: message.id, message, own, status: own ? 'sent' : undefined };
    });
    const byId = new Map(messages.map((m) => [m.id, m]));
    for (const item of outboxState.items) {
      if (item.conversationId !== conversationId || sentKeys.has(item.clientMessageId)) continue;
      const answered = item.replyToId ? byId.get(item.replyToId) : undefined;
      list.push({
        key: item.clientMessageId,
        own: true,
        status: item.failed ? 'failed' : 'pending',
        draft: {
          content: item.content,
          createdAt: item.createdAt,
          imageUrl: draftUrls.get(item.clientMessageId),
          progress: item.image ? (outboxState.progress.get(item.clientMessageId) ?? 0) : undefined,
          replyTo: answered
            ? { __typename: 'Message', id: answered.id, content: answered.content ?? null, deletedAt: answered.deletedAt ?? null, sender: answered.sender ? { __typename: 'User', id: answered.sender.id, displayName: answered.sender.id === viewerId ? 'You' : (header.data?.conversation.otherParticipant.displayName ?? null) } : null }
            : undefined,
        },
      });
    }
    return list;
  }, [messages, outboxState, conversationId, viewerId, draftUrls, header.data]);

  // Keeps the view where the reader is: at the bottom for new messages, in place for older ones.
  const firstKey = shown[0]?.key;
  const lastKey = shown[shown.length - 1]?.key;
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (restoreFrom.current) {
      el.scrollTop = el.scrollHeight - restoreFrom.current.height + restoreFrom.current.top;
      restoreFrom.current = null;
    } else if (nearBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [firstKey, lastKey, otherTyping]);

  // The render budget (first render of a page of messages): from the data's arrival in render
  // to the committed DOM. The E2E suite reads both marks and prints the time.
  const measured = useRef(false);
  if (loaded && messages.length > 0 && !measured.current) performance.mark('thread-data');
  useLayoutEffect(() => {
    if (!loaded || messages.length === 0 || measured.current) return;
    measured.current = true;
    performance.mark('thread-rendered');
  });

  const hasOlder = connection?.pageInfo.hasPreviousPage ?? false;
  const loadOlder = async () => {
    const el = scroller.current;
    if (!el || !hasOlder || loadingOlder || !connection?.pageInfo.startCursor) return;
    setLoadingOlder(true);
    restoreFrom.current = { height: el.scrollHeight, top: el.scrollTop };
    try {
      await fetchMore({ variables: { conversationId, last: PAGE, before: connection.pageInfo.startCursor } });
    } catch {
      restoreFrom.current = null;
    } finally {
      setLoadingOlder(false);
    }
  };

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    nearBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < EDGE_PX;
    if (el.scrollTop < EDGE_PX) void loadOlder();
  };

  const conversation = header.data?.conversation;
  const other = conversation?.otherParticipant;
  const name = displayName(other);
  const isBlocked = conversation?.isBlocked ?? false;
  const blockedByViewer = conversation?.blockedByViewer ?? false;
  let previousDay = '';

  const report = (choice: ReportChoice) => {
    const target = reporting;
    setReporting(null);
    if (!other || !target) return;
    setActionError(null);
    const done = target.messageId ? changes.reportMessage(target.messageId, choice) : changes.reportUser(other.id, choice);
    done.then(() => setActionError('Thanks, your report was sent.'), failed('send the report'));
  };

  return (
    <main className="view thread-view">
      <header className="bar">
        <button type="button" className="icon-button" onClick={onBack} aria-label="Back to conversations">
          ←
        </button>
        <div className="title">
          <h1 tabIndex={-1}>{other ? name : 'Conversation'}</h1>
          {other && <p className="subtitle">{other.presence.status === 'ONLINE' ? 'Online' : 'Offline'}</p>}
        </div>
        {other && (
          <ThreadMenu
            blockedByViewer={blockedByViewer}
            onBlock={() => changes.block(other.id).catch(failed('block'))}
            onUnblock={() => changes.unblock(other.id).catch(failed('unblock'))}
            onReport={() => setReporting({})}
          />
        )}
      </header>
      {actionError && (
        <p className="action-status" role="status">
          {actionError}
        </p>
      )}
      <div className="thread" data-testid="thread" ref={scroller} onScroll={onScroll} tabIndex={0} aria-label={`Messages with ${name}`}>
        {hasOlder && (
          <button type="button" className="load-older" data-testid="load-older" onClick={() => void loadOlder()} disabled={loadingOlder}>
            {loadingOlder ? 'Loading…' : 'Load older messages'}
          </button>
        )}
        {error && <p role="alert">Could not load messages.</p>}
        {loading && !data && <p className="loading">Loading…</p>}
        <ol className="messages" aria-live="polite" aria-relevant="additions">
          {shown.map((item) => {
            const createdAt = item.message?.createdAt ?? item.draft?.createdAt ?? '';
            const day = dayKey(createdAt);
            const separator = day !== previousDay;
            previousDay = day;
            return (
              <Fragment key={item.key}>
                {separator && (
                  <li className="day-separator" role="separator" aria-label={dayLabel(createdAt)}>
                    <span>{dayLabel(createdAt)}</span>
                  </li>
                )}
                <MessageItem item={item} onOpenImage={setPreviewUrl} handlers={item.message ? handlers : undefined} canReact={!isBlocked} />
              </Fragment>
            );
          })}
        </ol>
        {otherTyping && <TypingIndicator name={name} />}
      </div>
      {isBlocked ? (
        <BlockedNotice blockedByViewer={blockedByViewer} />
      ) : (
        <Composer conversationId={conversationId} replyTo={replyTo} onCancelReply={() => setReplyTo(null)} />
      )}
      {reporting && other && (
        <ReportDialog subject={reporting.messageId ? 'this message' : name} onSubmit={report} onClose={() => setReporting(null)} />
      )}
      {previewUrl && <ImagePreview url={previewUrl} onClose={() => setPreviewUrl(null)} />}
    </main>
  );
}
