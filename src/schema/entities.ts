import { AuditLog } from './audit/audit-log.entity';
import { Conversation } from './conversation/conversation.entity';
import { MessageImage } from './message/message-image.entity';
import { Message } from './message/message.entity';
import { NotificationPreferences } from './notification/notification-preferences.entity';
import { PushDevice } from './notification/push-device.entity';
import { User } from './user/user.entity';

/** Every MikroORM entity, registered explicitly (no folder scanning: it works the same in ts and js). */
export const entities = [User, Conversation, Message, MessageImage, NotificationPreferences, PushDevice, AuditLog];
