import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../context';
import type { ReadRouting } from '../db/read-routing';

/**
 * Apollo plugin (only with DATABASE_READ_URL): a user's mutation keeps their reads on the
 * primary while it runs and for DATABASE_READ_AFTER_WRITE_MS after it (db/read-routing.ts).
 * Every write of a user is a mutation, so this one place covers sends, edits, receipts,
 * archiving and the rest. WebSocket operations do the same in websocket-server.ts.
 */
export function readAfterWritePlugin(reads: ReadRouting): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      let writer: string | null = null;
      return {
        async didResolveOperation({ contextValue, operation }) {
          const viewer = contextValue.viewer;
          if (operation?.operation !== 'mutation' || viewer?.kind !== 'user') return;
          writer = viewer.id;
          reads.noteWriteStarted(writer);
        },
        async willSendResponse() {
          if (writer !== null) reads.noteWrite(writer);
          writer = null;
        },
      };
    },
  };
}
