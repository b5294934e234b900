import { ApolloProvider } from '@apollo/client/react';
import { useEffect } from 'react';
import { ConversationList } from './conversations/ConversationList';
import { useRoute } from './lib/router';
import { SessionContext, type Session } from './session/api-context';
import { useRealtimeBridge } from './session/realtime-bridge';
import { Settings } from './settings/Settings';
import { Thread } from './thread/Thread';
import { useConnectionStatus } from './apollo/connection-status';

function Views() {
  const [route, navigate] = useRoute();
  useRealtimeBridge(route.view === 'thread' ? route.conversationId : null);
  const home = () => navigate({ view: 'list' });
  useEffect(() => {
    // Focus follows the view, so keyboard and screen-reader users land on its heading.
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [route]);
  if (route.view === 'thread') return <Thread key={route.conversationId} conversationId={route.conversationId} onBack={home} />;
  if (route.view === 'settings') return <Settings onBack={home} />;
  return (
    <ConversationList
      onOpen={(conversationId) => {
        performance.mark('thread-open');
        navigate({ view: 'thread', conversationId });
      }}
      onSettings={() => navigate({ view: 'settings' })}
    />
  );
}

function ConnectionBanner({ session }: { session: Session }) {
  const { connected, generation } = useConnectionStatus(session.api.status);
  if (connected || generation === 0) return null;
  return (
    <p className="connection-banner" role="status">
      Reconnecting… messages you send now go out when you are back online.
    </p>
  );
}

export function SignedIn({ session }: { session: Session }) {
  return (
    <SessionContext.Provider value={session}>
      <ApolloProvider client={session.api.apollo}>
        <ConnectionBanner session={session} />
        <Views />
      </ApolloProvider>
    </SessionContext.Provider>
  );
}

export function SignedOut() {
  return (
    <main className="view signed-out" data-testid="signed-out">
      <h1>Messages</h1>
      <p>You are signed out. Open this app from the marketplace to sign in.</p>
    </main>
  );
}
