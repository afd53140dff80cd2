import { GraphQLDateTimeISO } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfoObject as PageInfo } from '@evcs/platform';
import { UserError } from './types';

export enum IdTagStatus {
  ACCEPTED = 'ACCEPTED',
  BLOCKED = 'BLOCKED',
  EXPIRED = 'EXPIRED',
}
registerEnumType(IdTagStatus, { name: 'IdTagStatus', description: 'What the tenant says of a tag. A tag past its expiry answers Expired whatever this says.' });

export enum AuthorizationStatus {
  Accepted = 'Accepted',
  Blocked = 'Blocked',
  Expired = 'Expired',
  Invalid = 'Invalid',
  ConcurrentTx = 'ConcurrentTx',
}
registerEnumType(AuthorizationStatus, { name: 'AuthorizationStatus', description: 'OCPP 1.6 AuthorizationStatus: what a charger is told.' });

@ObjectType({ description: 'An RFID card or app token that may start sessions on the tenant’s chargers (OCPP idTag, YKC card number).' })
export class IdTag {
  @Field(() => ID) id!: string;
  @Field(() => ID) tenantId!: string;
  @Field({ description: 'As registered; compared regardless of case (OCPP CiString20).' }) value!: string;
  @Field(() => IdTagStatus) status!: IdTagStatus;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) expiresAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'OCPP parentIdTag: the group the tag belongs to.' }) parentIdTag!: string | null;
  @Field(() => ID, { nullable: true, description: 'The user the tag belongs to; sessions started with it are theirs.' }) userId!: string | null;
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
  @Field(() => GraphQLDateTimeISO) updatedAt!: Date;
}

@ObjectType()
export class IdTagEdge {
  @Field() cursor!: string;
  @Field(() => IdTag) node!: IdTag;
}

@ObjectType()
export class IdTagConnection {
  @Field(() => [IdTagEdge]) edges!: IdTagEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType()
export class IdTagPayload {
  @Field(() => IdTag, { nullable: true }) idTag!: IdTag | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class ImportIdTagsPayload {
  @Field(() => Int) created!: number;
  @Field(() => Int) updated!: number;
  @Field(() => Int, { description: 'Rows that matched a tag exactly.' }) unchanged!: number;
  @Field(() => [UserError], { description: 'All or nothing: with any error, nothing was imported.' }) userErrors!: UserError[];
}

@ObjectType()
export class IdTagExport {
  @Field({ description: 'Header value,status,expiresAt,parentIdTag,userId; importIdTags reads it back.' }) csv!: string;
  @Field(() => Int) count!: number;
}

@ObjectType({ description: 'How the tenant answers tags it does not know.' })
export class IdTagPolicy {
  @Field({ description: 'Unknown tags are Accepted (sessions are recorded without a user).' }) freeVending!: boolean;
  @Field(() => [ID], { description: 'Empty: free vending at every station; otherwise only at these.' }) freeVendingStationIds!: string[];
}

@ObjectType()
export class IdTagPolicyPayload {
  @Field(() => IdTagPolicy, { nullable: true }) policy!: IdTagPolicy | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType({ description: 'Internal: the authority’s answer for one tag (service identities only).' })
export class IdTagAuthorization {
  @Field(() => AuthorizationStatus) status!: AuthorizationStatus;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) expiryDate!: Date | null;
  @Field(() => String, { nullable: true }) parentIdTag!: string | null;
  @Field(() => ID, { nullable: true }) userId!: string | null;
  @Field() freeVending!: boolean;
}

@ObjectType()
export class LocalAuthEntry {
  @Field() idTag!: string;
  @Field(() => AuthorizationStatus) status!: AuthorizationStatus;
  @Field(() => String, { nullable: true }) expiryDate!: string | null;
  @Field(() => String, { nullable: true }) parentIdTag!: string | null;
}

@ObjectType({ description: 'Internal: a tenant’s whole OCPP local authorization list (service identities only).' })
export class LocalAuthList {
  @Field(() => Int) version!: number;
  @Field(() => [LocalAuthEntry]) entries!: LocalAuthEntry[];
}

@InputType()
export class IdTagFilter {
  @Field(() => IdTagStatus, { nullable: true }) status?: IdTagStatus | null;
  @Field(() => ID, { nullable: true }) userId?: string | null;
  @Field(() => String, { nullable: true, description: 'Part of the value, regardless of case.' }) search?: string | null;
}

@InputType()
export class CreateIdTagInput {
  @Field() value!: string;
  @Field(() => IdTagStatus, { nullable: true, description: 'Default ACCEPTED.' }) status?: IdTagStatus | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) expiresAt?: Date | null;
  @Field(() => String, { nullable: true }) parentIdTag?: string | null;
  @Field(() => ID, { nullable: true }) userId?: string | null;
}

@InputType({ description: 'Fields left out keep their value; null clears expiry, parent and user.' })
export class UpdateIdTagInput {
  @Field({ description: 'The tag to change (regardless of case).' }) value!: string;
  @Field(() => IdTagStatus, { nullable: true }) status?: IdTagStatus | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) expiresAt?: Date | null;
  @Field(() => String, { nullable: true }) parentIdTag?: string | null;
  @Field(() => ID, { nullable: true }) userId?: string | null;
}

@InputType()
export class IdTagRowInput {
  @Field() value!: string;
  @Field(() => String, { nullable: true }) status?: string | null;
  @Field(() => String, { nullable: true, description: 'ISO-8601 with zone.' }) expiresAt?: string | null;
  @Field(() => String, { nullable: true }) parentIdTag?: string | null;
  @Field(() => String, { nullable: true }) userId?: string | null;
}

@InputType({ description: 'Either csv or rows. A value already registered is updated.' })
export class ImportIdTagsInput {
  @Field(() => String, {
    nullable: true,
    description: 'Header line naming the columns (value required; status, expiresAt, parentIdTag, userId), one tag per line.',
  })
  csv?: string | null;
  @Field(() => [IdTagRowInput], { nullable: true }) rows?: IdTagRowInput[] | null;
}

@InputType()
export class IdTagPolicyInput {
  @Field() freeVending!: boolean;
  @Field(() => [ID], { defaultValue: [] }) freeVendingStationIds!: string[];
}
