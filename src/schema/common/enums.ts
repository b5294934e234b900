import { registerEnumType } from 'type-graphql';

/** Enums shared by the database (native PostgreSQL enum types) and the GraphQL schema. */
export enum ConversationStatus {
  ACTIVE = 'ACTIVE',
  ARCHIVED = 'ARCHIVED',
  AUTO_ARCHIVED = 'AUTO_ARCHIVED',
}

export enum MessageType {
  TEXT = 'TEXT',
  IMAGE = 'IMAGE',
  SYSTEM = 'SYSTEM',
}

export enum PresenceStatus {
  ONLINE = 'ONLINE',
  OFFLINE = 'OFFLINE',
}

export enum DevicePlatform {
  ANDROID = 'ANDROID',
  IOS = 'IOS',
  WEB = 'WEB',
}

export enum NotificationType {
  NEW_MESSAGE = 'NEW_MESSAGE',
  NEW_APPLICATION = 'NEW_APPLICATION',
  APPLICATION_STATUS_CHANGE = 'APPLICATION_STATUS_CHANGE',
  NEW_REVIEW = 'NEW_REVIEW',
  WORK_AGREEMENT_CONFIRMATION = 'WORK_AGREEMENT_CONFIRMATION',
  WORK_AGREEMENT_ENDING = 'WORK_AGREEMENT_ENDING',
}

export enum NotificationOutcome {
  SENT = 'SENT',
  DEFERRED = 'DEFERRED',
  SUPPRESSED = 'SUPPRESSED',
  NO_DEVICE = 'NO_DEVICE',
}

export enum ImageStatus {
  PENDING = 'PENDING',
  READY = 'READY',
  FAILED = 'FAILED',
  DELETED = 'DELETED',
}

export enum ConversationEventKind {
  CREATED = 'CREATED',
  UPDATED = 'UPDATED',
  ARCHIVED = 'ARCHIVED',
  UNARCHIVED = 'UNARCHIVED',
}

registerEnumType(ConversationStatus, { name: 'ConversationStatus' });
registerEnumType(MessageType, { name: 'MessageType' });
registerEnumType(PresenceStatus, { name: 'PresenceStatus' });
registerEnumType(DevicePlatform, { name: 'DevicePlatform' });
registerEnumType(NotificationType, { name: 'NotificationType' });
registerEnumType(NotificationOutcome, {
  name: 'NotificationOutcome',
  valuesConfig: {
    SENT: { description: 'Handed to the push provider for at least one device.' },
    DEFERRED: { description: "Inside the recipient's quiet hours: will be sent when they end." },
    SUPPRESSED: { description: "Dropped by the recipient's preferences." },
    NO_DEVICE: { description: 'The recipient has no registered device.' },
  },
});
registerEnumType(ImageStatus, { name: 'ImageStatus' });
registerEnumType(ConversationEventKind, { name: 'ConversationEventKind' });
