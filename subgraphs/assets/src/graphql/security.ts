import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Ctx, Directive, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { requirePermission, requireServiceScope, userErrorsOf } from '@evcs/platform';
import type { AssetsContext } from '../context';
import type { AuditRecord, ChargerSecurityPolicy as PolicyValue, ChargerSecurityView, YkcPileIdentity as IdentityValue } from '../domain/charger-security';
import type { WriteResult } from '../domain/model';
import { Charger, UserError } from './types';

@ObjectType({
  description:
    'What a YKC login (0x01) carries about its pile. sim, pileType, guns, network and carrier are enforced; the versions are for reference (firmware updates change them).',
})
export class YkcPileIdentity {
  @Field({ description: 'SIM ICCID as 20 digits (zeros: no SIM)' }) sim!: string;
  @Field(() => Int, { description: '0 DC, 1 AC' }) pileType!: number;
  @Field(() => Int) guns!: number;
  @Field(() => Int, { description: '0 SIM, 1 LAN, 2 WAN, 3 other' }) network!: number;
  @Field(() => Int, { description: 'carrier code as the pile sends it' }) carrier!: number;
  @Field(() => Int, { nullable: true }) protocolVersion!: number | null;
  @Field(() => String, { nullable: true }) programVersion!: string | null;
}

@InputType()
export class YkcPileIdentityInput {
  @Field({ description: 'SIM ICCID, up to 20 digits' }) sim!: string;
  @Field(() => Int) pileType!: number;
  @Field(() => Int) guns!: number;
  @Field(() => Int) network!: number;
  @Field(() => Int) carrier!: number;
  @Field(() => Int, { nullable: true }) protocolVersion?: number | null;
  @Field(() => String, { nullable: true }) programVersion?: string | null;
}

@InputType({ description: 'Security of a charger at registration; without it an OCPP charger gets profile 1 and a generated password.' })
export class ChargerSecurityInput {
  @Field(() => Int, {
    nullable: true,
    description:
      'OCPP security profile: 0 (no password; connects only while the tenant allows profile-0 commissioning), 1 (Basic auth, default), 2 (Basic over TLS)',
  })
  securityProfile?: number | null;
  @Field(() => String, { nullable: true, description: 'Set this Basic-auth password (16–40 bytes) instead of generating one' }) password?: string | null;
  @Field(() => YkcPileIdentityInput, { nullable: true, description: 'YKC: the identity its login must carry' }) ykcIdentity?: YkcPileIdentityInput | null;
  @Field(() => [String], { nullable: true, description: 'Networks (CIDR) the charger may connect from; empty: the tenant policy decides' })
  allowedSourceCidrs?: string[] | null;
}

@InputType({ description: 'Only the fields given change.' })
export class UpdateChargerSecurityInput {
  @Field(() => Int, { nullable: true, description: 'OCPP security profile 0, 1 or 2' }) securityProfile?: number | null;
  @Field(() => [String], { nullable: true, description: 'Networks (CIDR) the charger may connect from; [] clears' }) allowedSourceCidrs?: string[] | null;
  @Field(() => String, { nullable: true, description: "YKC: reference of the pile's 3DES key in the bridge's keyring" }) desKeyRef?: string | null;
}

@ObjectType({ description: "A charger's connection security. Never the password or its hash." })
export class ChargerSecurity {
  @Field(() => ID) chargerId!: string;
  @Field(() => Int, { nullable: true, description: 'OCPP security profile (0, 1, 2); null for YKC' }) securityProfile!: number | null;
  @Field({ description: 'An OCPP Basic-auth password is set' }) hasPassword!: boolean;
  @Field(() => Date, { nullable: true }) passwordSetAt!: Date | null;
  @Field(() => Date, {
    nullable: true,
    description: 'When its credential was revoked (hasPassword is then false and it cannot connect); null once rotateChargerCredential sets a new one',
  })
  credentialRevokedAt!: Date | null;
  @Field(() => YkcPileIdentity, { nullable: true, description: 'YKC: the identity its login must carry; null: not commissioned' })
  ykcIdentity!: IdentityValue | null;
  @Field(() => String, { nullable: true, description: 'REGISTERED (by an operator) or LEARNED (at its first commissioning login)' }) ykcIdentitySource!:
    string | null;
  @Field(() => Date, { nullable: true }) ykcIdentityAt!: Date | null;
  @Field(() => [String]) allowedSourceCidrs!: string[];
  @Field(() => String, { nullable: true }) desKeyRef!: string | null;
}

@ObjectType({ description: 'Returned once, when generated or set: the platform keeps only a hash. Configure it on the charger (AuthorizationKey).' })
export class ChargerCredential {
  @Field(() => ID) chargerId!: string;
  @Field() password!: string;
  @Field(() => Int) securityProfile!: number;
}

@ObjectType()
export class ChargerCredentialPayload {
  @Field(() => ChargerCredential, { nullable: true }) credential!: ChargerCredential | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class ChargerSecurityPayload {
  @Field(() => ChargerSecurity, { nullable: true }) security!: ChargerSecurity | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType({ description: "The tenant's rules for chargers connecting." })
export class ChargerSecurityPolicy {
  @Field({ description: 'OCPP chargers without a password may connect (security profile 0), for commissioning only' }) allowProfile0Commissioning!: boolean;
  @Field({ description: "A YKC pile without a registered identity is let in once and its login's identity is learned (then enforced)" })
  learnYkcIdentityOnFirstLogin!: boolean;
  @Field(() => [String], { description: "Networks (CIDR) the tenant's chargers may connect from, unless a charger has its own; empty: any" })
  allowedSourceCidrs!: string[];
}

@InputType({ description: 'Only the fields given change.' })
export class ChargerSecurityPolicyInput {
  @Field(() => Boolean, { nullable: true }) allowProfile0Commissioning?: boolean | null;
  @Field(() => Boolean, { nullable: true }) learnYkcIdentityOnFirstLogin?: boolean | null;
  @Field(() => [String], { nullable: true }) allowedSourceCidrs?: string[] | null;
}

@ObjectType()
export class ChargerSecurityPolicyPayload {
  @Field(() => ChargerSecurityPolicy, { nullable: true }) policy!: ChargerSecurityPolicy | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType({ description: 'One audited change to assets (charger security, registrations) or a refused charger login. Never secrets.' })
export class AssetAuditEntry {
  @Field(() => ID) id!: string;
  @Field({ description: 'User id, or the service name' }) actor!: string;
  @Field() action!: string;
  @Field(() => String, { nullable: true }) target!: string | null;
  @Field(() => GraphQLJSONObject, { nullable: true }) before!: Record<string, unknown> | null;
  @Field(() => GraphQLJSONObject, { nullable: true }) after!: Record<string, unknown> | null;
  @Field(() => String, { nullable: true }) requestId!: string | null;
  @Field(() => Date) at!: Date;
}

const toSecurity = (v: ChargerSecurityView): ChargerSecurity => Object.assign(new ChargerSecurity(), v);
const toPolicy = (p: PolicyValue): ChargerSecurityPolicy => Object.assign(new ChargerSecurityPolicy(), p);
const toAudit = (a: AuditRecord): AssetAuditEntry => Object.assign(new AssetAuditEntry(), a);
const securityPayload = (r: WriteResult<ChargerSecurityView>): ChargerSecurityPayload =>
  Object.assign(new ChargerSecurityPayload(), r.ok ? { security: toSecurity(r.value), userErrors: [] } : { security: null, userErrors: userErrorsOf(r) });
const identityOf = (i: YkcPileIdentityInput): IdentityValue => ({ ...i });

/** What the bridge reports of chargers' logins: its scope, not a user's permission. */
function serviceOnly(ctx: AssetsContext, field: string): void {
  requireServiceScope(ctx.identity, 'charger-login:record', field);
}

/** Thin resolvers over ChargerSecurityService; `charger:write` for changes (ctx.securityActor), audit:read for the log. */
@Resolver(() => Charger)
export class ChargerSecurityResolver {
  @FieldResolver(() => ChargerSecurity, { nullable: true, description: "Its connection security (own tenant's chargers)" })
  async security(@Root() charger: Charger, @Ctx() ctx: AssetsContext): Promise<ChargerSecurity | null> {
    const v = await ctx.loaders.security.load(charger.id);
    return v ? toSecurity(v) : null;
  }

  @Mutation(() => ChargerCredentialPayload, {
    description:
      "Generate (or set, with `password`) an OCPP charger's Basic-auth password. The plain password is in this payload only. Needs charger:write; audited.",
  })
  async rotateChargerCredential(
    @Ctx() ctx: AssetsContext,
    @Arg('chargerId', () => ID) chargerId: string,
    @Arg('password', () => String, { nullable: true, description: '16–40 bytes; omit to generate one' }) password: string | null,
  ): Promise<ChargerCredentialPayload> {
    const r = await ctx.services.security.rotateCredential(ctx.securityActor(), chargerId, password ?? null);
    return Object.assign(
      new ChargerCredentialPayload(),
      r.ok ? { credential: Object.assign(new ChargerCredential(), r.value), userErrors: [] } : { credential: null, userErrors: userErrorsOf(r) },
    );
  }

  @Mutation(() => ChargerSecurityPayload, {
    description:
      "Revoke an OCPP charger's Basic-auth password at once (leaked, stolen, decommissioned): no password verifies, its live connection is dropped and its next one refused (401), profile-0 commissioning included. rotateChargerCredential gives it a new one. Needs charger:write; audited with the reason. User errors: NOT_FOUND, ALREADY_REVOKED, REQUIRED / INVALID (reason).",
  })
  async revokeChargerCredential(
    @Ctx() ctx: AssetsContext,
    @Arg('chargerId', () => ID) chargerId: string,
    @Arg('reason', { description: 'Why (kept on the audit trail), 1–500 characters' }) reason: string,
  ): Promise<ChargerSecurityPayload> {
    return securityPayload(await ctx.services.security.revokeCredential(ctx.securityActor(), chargerId, reason));
  }

  @Mutation(() => ChargerSecurityPayload, {
    description: "Change a charger's security profile, allowed networks or 3DES key reference. Needs charger:write; audited.",
  })
  async updateChargerSecurity(
    @Ctx() ctx: AssetsContext,
    @Arg('chargerId', () => ID) chargerId: string,
    @Arg('input', () => UpdateChargerSecurityInput) input: UpdateChargerSecurityInput,
  ): Promise<ChargerSecurityPayload> {
    return securityPayload(await ctx.services.security.update(ctx.securityActor(), chargerId, input));
  }

  @Mutation(() => ChargerSecurityPayload, { description: "Register the identity a YKC pile's login must carry. Needs charger:write; audited." })
  async registerYkcPileIdentity(
    @Ctx() ctx: AssetsContext,
    @Arg('chargerId', () => ID) chargerId: string,
    @Arg('identity', () => YkcPileIdentityInput) identity: YkcPileIdentityInput,
  ): Promise<ChargerSecurityPayload> {
    return securityPayload(await ctx.services.security.registerYkcIdentity(ctx.securityActor(), chargerId, identityOf(identity)));
  }

  @Mutation(() => ChargerSecurityPayload, {
    description:
      "Forget a YKC pile's identity (re-commissioning: it is learned again at the next login if the tenant allows it). Needs charger:write; audited.",
  })
  async resetYkcPileIdentity(@Ctx() ctx: AssetsContext, @Arg('chargerId', () => ID) chargerId: string): Promise<ChargerSecurityPayload> {
    return securityPayload(await ctx.services.security.registerYkcIdentity(ctx.securityActor(), chargerId, null));
  }

  @Query(() => ChargerSecurityPolicy, { description: "The tenant's charger-security policy. Needs station:read." })
  async chargerSecurityPolicy(@Ctx() ctx: AssetsContext): Promise<ChargerSecurityPolicy> {
    return toPolicy(await ctx.services.security.policy(ctx.readScope().tenantId));
  }

  @Mutation(() => ChargerSecurityPolicyPayload, { description: "Change the tenant's charger-security policy. Needs charger:write; audited." })
  async setChargerSecurityPolicy(
    @Ctx() ctx: AssetsContext,
    @Arg('input', () => ChargerSecurityPolicyInput) input: ChargerSecurityPolicyInput,
  ): Promise<ChargerSecurityPolicyPayload> {
    const r = await ctx.services.security.setPolicy(ctx.securityActor(), {
      allowProfile0Commissioning: input.allowProfile0Commissioning ?? undefined,
      learnYkcIdentityOnFirstLogin: input.learnYkcIdentityOnFirstLogin ?? undefined,
      allowedSourceCidrs: input.allowedSourceCidrs ?? undefined,
    });
    return Object.assign(
      new ChargerSecurityPolicyPayload(),
      r.ok ? { policy: toPolicy(r.value), userErrors: [] } : { policy: null, userErrors: userErrorsOf(r) },
    );
  }

  // Kept for the clients that read it (the bridge's tests, older scripts); assetAuditEntries is the
  // same trail with the filters and two-way cursors every other service's audit log has.
  @Query(() => [AssetAuditEntry], {
    description: "The tenant's assets audit log, newest first. Needs audit:read.",
    deprecationReason: 'Use assetAuditEntries',
  })
  async assetAuditLog(
    @Ctx() ctx: AssetsContext,
    @Arg('first', () => Int, { defaultValue: 50, description: '1..500' }) first: number,
    @Arg('beforeId', () => ID, { nullable: true, description: 'entries older than this one' }) beforeId: string | null,
  ): Promise<AssetAuditEntry[]> {
    requirePermission(ctx.identity, 'audit:read');
    return (await ctx.services.security.auditLog(ctx.tenantId(), first, beforeId ?? null)).map(toAudit);
  }

  @Directive('@inaccessible')
  @Mutation(() => String, {
    description:
      'Internal (protocol bridge): learn a YKC pile identity at its first commissioning login. LEARNED, ALREADY_REGISTERED, NOT_ALLOWED or NOT_FOUND.',
  })
  async recordYkcPileIdentity(
    @Ctx() ctx: AssetsContext,
    @Arg('chargerId', () => ID) chargerId: string,
    @Arg('identity', () => YkcPileIdentityInput) identity: YkcPileIdentityInput,
  ): Promise<string> {
    serviceOnly(ctx, 'recordYkcPileIdentity');
    return ctx.services.security.learnYkcIdentity(ctx.serviceActor(), chargerId, identityOf(identity));
  }

  @Directive('@inaccessible')
  @Mutation(() => Boolean, { description: 'Internal (protocol bridge): put a refused charger login on the audit record.' })
  async recordChargerLoginRefusal(
    @Ctx() ctx: AssetsContext,
    @Arg('chargerId', () => ID) chargerId: string,
    @Arg('reason') reason: string,
    @Arg('detail', () => GraphQLJSONObject) detail: Record<string, unknown>,
  ): Promise<boolean> {
    serviceOnly(ctx, 'recordChargerLoginRefusal');
    await ctx.services.security.recordRefusedLogin(ctx.serviceActor(), chargerId, reason, detail);
    return true;
  }
}
