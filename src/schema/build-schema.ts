import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { buildSchema } from 'type-graphql';
import '../schema/common/enums';
import '../schema/common/safety-enums';
import { authChecker } from '../resolvers/auth-checker';
import { BlockResolver } from '../resolvers/block.resolver';
import { ConversationResolver } from '../resolvers/conversation.resolver';
import { MessageImageResolver } from '../resolvers/message-image.resolver';
import { MessageResolver, ReactionGroupResolver } from '../resolvers/message.resolver';
import { NotificationResolver } from '../resolvers/notification.resolver';
import { PrivacyResolver } from '../resolvers/privacy.resolver';
import { ReportResolver } from '../resolvers/report.resolver';
import { SubscriptionResolver } from '../resolvers/subscription.resolver';
import { TypingResolver } from '../resolvers/typing.resolver';
import { UserResolver } from '../resolvers/user.resolver';
import { WebhookResolver } from '../resolvers/webhook.resolver';

/** The executable schema; `schema.graphql` is printed from it (npm run schema:emit). */
export function createSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [UserResolver, ConversationResolver, MessageResolver, ReactionGroupResolver, MessageImageResolver, NotificationResolver, SubscriptionResolver, TypingResolver, BlockResolver, ReportResolver, PrivacyResolver, WebhookResolver],
    authChecker,
    // The contract names the scalar DateTime (type-graphql's default is DateTimeISO).
    scalarsMap: [{ type: Date, scalar: GraphQLDateTime }],
    // Inputs are checked by the services, which own the rules and their error codes.
    validate: false,
    // type-graphql insists on a pubSub once there are subscriptions, but every @Subscription
    // here brings its own `subscribe` (services/subscription.service.ts), so none is ever used.
    pubSub: {
      publish: () => {
        throw new Error('publish through the service PubSub (src/realtime), not type-graphql');
      },
      subscribe: () => {
        throw new Error('every @Subscription must define its own subscribe');
      },
    },
  });
}
