import { Field, Int, ObjectType } from 'type-graphql';
import { PageInfo } from '../common/page-info.type';
import { Message } from './message.entity';

@ObjectType({ description: 'A range of a string, in UTF-16 code units (JavaScript string indices).' })
export class TextRange {
  @Field(() => Int)
  start: number;

  @Field(() => Int)
  length: number;
}

@ObjectType()
export class MessageSearchEdge {
  @Field()
  cursor: string;

  @Field(() => Message)
  node: Message;

  @Field(() => [TextRange], { description: "Where the query's words occur in node.content." })
  highlights: TextRange[];
}

@ObjectType()
export class MessageSearchConnection {
  @Field(() => [MessageSearchEdge])
  edges: MessageSearchEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;
}
