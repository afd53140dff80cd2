import 'reflect-metadata';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import { Arg, Args, Ctx, Directive, Field, ID, InputType, Int, Mutation, ObjectType, Query, registerEnumType, Resolver } from 'type-graphql';
import { z } from 'zod';
import { requestReadScopes, type ReadScope } from '../authz';
import { cursorCodec, pageWindow } from '../cursor';
import { connectionOf, PageInfoObject, RelayPageArgs } from '../graphql-connection';
import { UserErrorObject, userErrorsOf } from '../graphql-values';
import { isUuid } from '../ids';
import type { BaseRequestContext } from '../subgraph';
import { parseArgs } from '../validation';
import { fail } from '../outcome';
import { ReplayErrorCodes, type DeadLetterReplayer } from './replay';
import type { DeadLetterFilter, DeadLetterRecord, DeadLetterStatus, DeadLetterStore } from './store';

/*
 * The GraphQL of dead letters, the same in every subgraph that consumes: the types are shared
 * value types (@shareable, one class each), the root fields are named by the subgraph
 * (`ordersDeadLetters`, `replayOrdersDeadLetter`) since each lists its own consumers' letters.
 * Reading and replaying both need `event:replay`, which only platform roles hold.
 */

export enum DeadLetterStatusValue {
  DEAD = 'DEAD',
  REPLAYED = 'REPLAYED',
}
registerEnumType(DeadLetterStatusValue, {
  name: 'DeadLetterStatus',
  description: 'DEAD: never applied (yet); REPLAYED: replayed successfully, applied then, once.',
});

@Directive('@shareable')
@ObjectType('DeadLetterHeader')
export class DeadLetterHeaderObject {
  @Field() name!: string;
  @Field() value!: string;
}

@Directive('@shareable')
@ObjectType('DeadLetter', { description: 'A message a consumer could never apply: kept as it was received, with why; replayable.' })
export class DeadLetterObject {
  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true, description: 'The tenant the message names; null when it names none that could be read (e.g. not JSON).' })
  tenantId!: string | null;
  @Field({ description: 'The consumer that could not apply it (its replay goes to the same one)' }) consumer!: string;
  @Field() topic!: string;
  @Field(() => Int) partition!: number;
  @Field({ description: 'Kafka offset (64-bit, as a decimal string)' }) offset!: string;
  @Field(() => String, { nullable: true }) key!: string | null;
  @Field(() => [DeadLetterHeaderObject]) headers!: DeadLetterHeaderObject[];
  @Field(() => String, { nullable: true, description: 'The message as received, base64 (null: an empty message). May hold personal data.' })
  payloadBase64!: string | null;
  @Field({ description: 'Stable code: INVALID_EVENT (not decodable, or against its contract), INVALID_DATA, or the domain error code' })
  reasonCode!: string;
  @Field() reasonMessage!: string;
  @Field(() => Int, { description: 'Times it failed for good (first delivery, redeliveries, replays)' }) attempts!: number;
  @Field(() => GraphQLDateTimeISO) firstSeenAt!: Date;
  @Field(() => GraphQLDateTimeISO) lastSeenAt!: Date;
  @Field(() => DeadLetterStatusValue) status!: DeadLetterStatusValue;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) replayedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Who replayed it (user id)' }) replayedBy!: string | null;
}

@Directive('@shareable')
@ObjectType('DeadLetterEdge')
export class DeadLetterEdgeObject {
  @Field() cursor!: string;
  @Field(() => DeadLetterObject) node!: DeadLetterObject;
}

@Directive('@shareable')
@ObjectType('DeadLetterConnection')
export class DeadLetterConnectionObject {
  @Field(() => [DeadLetterEdgeObject]) edges!: DeadLetterEdgeObject[];
  @Field(() => PageInfoObject) pageInfo!: PageInfoObject;
}

@Directive('@shareable')
@ObjectType('ReplayDeadLetterPayload')
export class ReplayDeadLetterPayloadObject {
  @Field(() => DeadLetterObject, { nullable: true, description: 'The dead letter, now REPLAYED' }) deadLetter!: DeadLetterObject | null;
  @Field(() => [UserErrorObject], { description: 'NOT_FOUND, ALREADY_REPLAYED, STILL_FAILING (with the reason), REPLAY_IN_PROGRESS, NO_CONSUMER' })
  userErrors!: UserErrorObject[];
}

@InputType('DeadLetterFilter')
export class DeadLetterFilterInput {
  @Field(() => DeadLetterStatusValue, { nullable: true }) status?: DeadLetterStatusValue | null;
  @Field(() => String, { nullable: true }) consumer?: string | null;
  @Field(() => String, { nullable: true }) reasonCode?: string | null;
  @Field(() => ID, { nullable: true }) tenantId?: string | null;
}

export const toDeadLetterObject = (d: DeadLetterRecord): DeadLetterObject =>
  Object.assign(new DeadLetterObject(), {
    ...d,
    headers: Object.entries(d.headers).map(([name, value]) => Object.assign(new DeadLetterHeaderObject(), { name, value })),
    payloadBase64: d.payload ? d.payload.toString('base64') : null,
    status: d.status as DeadLetterStatusValue,
  });

/** What the dead-letter resolvers need of a subgraph's context. */
export interface DeadLetterContext extends BaseRequestContext {
  services: { deadLetters: DeadLetterReplayer };
  reads: { deadLetters: Pick<DeadLetterStore, 'list'> };
}

const deadLetterCursor = cursorCodec('deadletter', z.object({ t: z.string().datetime(), id: z.string().refine(isUuid) }));

const filterArgs = z
  .object({
    consumer: z.string().max(100, '`filter.consumer` is at most 100 characters').nullish(),
    reasonCode: z.string().max(100, '`filter.reasonCode` is at most 100 characters').nullish(),
    tenantId: z
      .string()
      .refine((t) => isUuid(t), '`filter.tenantId` is not a UUID')
      .nullish(),
  })
  .nullish();

const filterOf = (f: DeadLetterFilterInput | null): DeadLetterFilter => {
  parseArgs(filterArgs, f);
  return {
    status: (f?.status as DeadLetterStatus | undefined) ?? null,
    consumer: f?.consumer ?? null,
    reasonCode: f?.reasonCode ?? null,
    tenantId: f?.tenantId ?? null,
  };
};

// Users only (platform roles): a service token reads no dead letters.
const scopeOf = (ctx: DeadLetterContext): ReadScope => requestReadScopes(ctx.identity, 'forbidden')('event:replay');

/** The dead-letter query and replay mutation of one subgraph, named after it (`orders` → ordersDeadLetters, replayOrdersDeadLetter). */
export function deadLetterResolver(subgraph: string): new () => object {
  const named = subgraph.charAt(0).toUpperCase() + subgraph.slice(1);

  @Resolver()
  class DeadLetterResolver {
    @Query(() => DeadLetterConnectionObject, {
      name: `${subgraph}DeadLetters`,
      description: `Messages the ${subgraph} consumers could never apply, newest first (event:replay — platform roles). Pages of 50, at most 200.`,
    })
    async deadLetters(
      @Ctx() ctx: DeadLetterContext,
      @Args(() => RelayPageArgs) page: RelayPageArgs,
      @Arg('filter', () => DeadLetterFilterInput, { nullable: true }) filter: DeadLetterFilterInput | null,
    ): Promise<DeadLetterConnectionObject> {
      const scope = scopeOf(ctx);
      const window = pageWindow(page, { codec: deadLetterCursor, defaultSize: 50, max: 200 });
      const rows = await ctx.reads.deadLetters.list(scope, filterOf(filter), window);
      return connectionOf(rows, window, { key: (d) => ({ t: d.firstSeenAt.toISOString(), id: d.id }), node: toDeadLetterObject });
    }

    @Mutation(() => ReplayDeadLetterPayloadObject, {
      name: `replay${named}DeadLetter`,
      description: 'Feed a dead letter to the consumer that could not apply it, as it was received; applied once however often asked (event:replay).',
    })
    async replay(@Ctx() ctx: DeadLetterContext, @Arg('id', () => ID) id: string): Promise<ReplayDeadLetterPayloadObject> {
      const scope = scopeOf(ctx);
      const out = isUuid(id)
        ? await ctx.services.deadLetters.replay(scope, ctx.identity.subject, id.toLowerCase())
        : fail<DeadLetterRecord>(ReplayErrorCodes.NOT_FOUND, 'id', 'No such dead letter');
      return Object.assign(new ReplayDeadLetterPayloadObject(), { deadLetter: out.ok ? toDeadLetterObject(out.value) : null, userErrors: userErrorsOf(out) });
    }
  }
  return DeadLetterResolver;
}
