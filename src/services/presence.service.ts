import type { Logger } from '../observability/logger';
import type { PresenceChange, PresenceListener } from '../realtime/presence-tracker';
import type { PubSub } from '../realtime/pubsub';
import { topics } from '../realtime/topics';
import { PresenceStatus } from '../schema/common/enums';
import type { ServiceDeps } from './service-deps';

/**
 * What happens on each presence transition (reported once across all instances): OFFLINE
 * stores `users.last_seen_at` first, so that a client reacting to the event reads it back,
 * then the event goes to the user's presence topic, which only their contacts follow.
 */
export function presenceListener(deps: { orm: ServiceDeps['orm']; pubsub: PubSub; logger: Logger }): PresenceListener {
  return async (change: PresenceChange) => {
    if (change.status === PresenceStatus.OFFLINE && change.lastSeenAt) {
      await deps.orm.em
        .fork()
        .getConnection()
        // greatest() skips NULL; it keeps a later value if transitions were reported out of order.
        .execute('update users set last_seen_at = greatest(last_seen_at, ?::timestamptz) where id = ?', [change.lastSeenAt, change.userId]);
    }
    await deps.pubsub.publish(topics.userPresence(change.userId), {
      userId: change.userId,
      status: change.status,
      lastSeenAt: change.lastSeenAt?.toISOString() ?? null,
    });
    deps.logger.debug({ userId: change.userId, status: change.status }, 'presence changed');
  };
}
