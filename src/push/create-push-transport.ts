import { randomUUID } from 'node:crypto';
import type { PushConfig } from '../config';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { createFcmTransport } from './fcm-transport';
import { createLogTransport } from './log-transport';
import type { PushMessage, PushResult, PushTransport } from './push-transport';

/**
 * The push transport of this process: FCM through firebase-admin when FIREBASE_SERVICE_ACCOUNT
 * is set (Android, iOS through APNs, web push), otherwise the log-only transport.
 */
export function createPushTransport(config: PushConfig, logger: Logger): PushTransport {
  if (!config.firebaseServiceAccount) {
    logger.info({ transport: 'log' }, 'push notifications are written to the log (FIREBASE_SERVICE_ACCOUNT is unset)');
    return createLogTransport(logger);
  }
  // A distinct App name per transport: a worker and a server may share one process (tests).
  const transport = createFcmTransport({ serviceAccount: config.firebaseServiceAccount, appName: `messaging-push-${randomUUID().slice(0, 8)}` });
  logger.info({ transport: 'fcm', projectId: transport.app.options.projectId }, 'push notifications go to Firebase Cloud Messaging');
  return transport;
}

/** Wraps a transport so that every provider call is timed in `push_provider_duration_seconds`. */
export function timedTransport(transport: PushTransport, metrics: Metrics): PushTransport {
  return {
    name: transport.name,
    async send(messages: PushMessage[]): Promise<PushResult[]> {
      const stop = metrics.pushProviderDuration.startTimer({ transport: transport.name });
      try {
        return await transport.send(messages);
      } finally {
        stop();
      }
    },
    close: transport.close ? () => transport.close!() : undefined,
  };
}
