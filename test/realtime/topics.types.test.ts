/**
 * Type-level checks of the typed topics: `npm run typecheck` (tsc over test/) fails if a
 * `@ts-expect-error` line below compiles, i.e. if Topic<K> stops telling payloads apart.
 */
import type { PubSub } from '../../src/realtime/pubsub';
import { topics, type MessagePayload, type PresencePayload, type Topic } from '../../src/realtime/topics';

const message = {} as MessagePayload;
const presence = {} as PresencePayload;

// Never called: only compiled.
export function publishings(pubsub: PubSub): void {
  void pubsub.publish(topics.userMessages('u'), message);
  void pubsub.publish(topics.userPresence('u'), presence);
  // @ts-expect-error a message payload on a presence topic
  void pubsub.publish(topics.userPresence('u'), message);
  // @ts-expect-error a presence payload on a message topic
  void pubsub.publish(topics.conversationMessages('c'), presence);
  // @ts-expect-error a plain string is not a topic
  void pubsub.publish('user:u:presence', presence);
  // @ts-expect-error a topic of one kind is not a topic of another
  const wrong: Topic<'userPresence'> = topics.userMessages('u');
  void wrong;
}

describe('topics', () => {
  it('names one topic per conversation or per user', () => {
    expect(topics.userPresence('u')).toBe('user:u:presence');
    expect(topics.conversationMessages('c')).toBe('conversation:c:message');
  });
});
