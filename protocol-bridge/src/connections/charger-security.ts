import { BlockList, isIPv4 } from 'node:net';
import type { Logger, ServiceGraphQLClient } from '@evcs/platform';
import type { InMemoryChargerDirectory } from '../directory';
import type { ChargerRegistration, ChargerSecurityRecorder, LearnOutcome, YkcPileIdentity } from '../ports';

/** For bridges run on an in-memory directory (tests, demos): learning updates the directory, refusals are kept here. */
export class InMemorySecurityRecorder implements ChargerSecurityRecorder {
  readonly refusals: { code: string; reason: string; detail: Record<string, unknown> }[] = [];

  constructor(private readonly directory?: InMemoryChargerDirectory) {}

  async learnYkcIdentity(registration: ChargerRegistration, code: string, identity: YkcPileIdentity): Promise<LearnOutcome> {
    const current = await this.directory?.resolve(code);
    if (!current) return 'NOT_FOUND';
    if (current.ykcIdentity) return 'ALREADY_REGISTERED';
    if (!current.learnYkcIdentityOnFirstLogin) return 'NOT_ALLOWED';
    this.directory?.update(code, { ykcIdentity: identity });
    return 'LEARNED';
  }

  async refusedLogin(_registration: ChargerRegistration, code: string, reason: string, detail: Record<string, unknown>): Promise<void> {
    this.refusals.push({ code, reason, detail });
  }
}

const LEARN = 'mutation($id: ID!, $identity: YkcPileIdentityInput!) { recordYkcPileIdentity(chargerId: $id, identity: $identity) }';
const REFUSED = 'mutation($id: ID!, $reason: String!, $detail: JSONObject!) { recordChargerLoginRefusal(chargerId: $id, reason: $reason, detail: $detail) }';

/**
 * The assets service's service-only mutations, called as the bridge acting for
 * the charger's tenant (RLS applies there). Refusals are audited at most once a
 * minute per charger and reason: a flood of forged logins must not become a
 * flood of audit rows (they are all counted in the bridge's metrics).
 */
export class GraphQLSecurityRecorder implements ChargerSecurityRecorder {
  private readonly lastAudit = new Map<string, number>();

  constructor(
    private readonly assets: ServiceGraphQLClient,
    private readonly logger: Logger,
    private readonly throttleMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async learnYkcIdentity(registration: ChargerRegistration, _code: string, identity: YkcPileIdentity): Promise<LearnOutcome> {
    const d = await this.assets.request<{ recordYkcPileIdentity: LearnOutcome }>(
      LEARN,
      { id: registration.chargerId, identity },
      { tenantId: registration.tenantId },
    );
    return d.recordYkcPileIdentity;
  }

  async refusedLogin(registration: ChargerRegistration, code: string, reason: string, detail: Record<string, unknown>): Promise<void> {
    const key = `${code}\u0000${reason}`;
    const t = this.now();
    if ((this.lastAudit.get(key) ?? -Infinity) > t - this.throttleMs) return;
    if (this.lastAudit.size > 50_000) this.lastAudit.clear();
    this.lastAudit.set(key, t);
    try {
      await this.assets.request(REFUSED, { id: registration.chargerId, reason, detail }, { tenantId: registration.tenantId });
    } catch (err) {
      this.logger.warn({ err, chargerId: code, reason }, 'could not audit a refused charger login');
    }
  }
}

/** IPv4 peers of a dual-stack listener show as ::ffff:a.b.c.d. */
function plainAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1], family: 'ipv4' };
  return { address, family: isIPv4(address) ? 'ipv4' : 'ipv6' };
}

/** Whether a peer may connect from where it does: no networks listed means anywhere. */
export function sourceAllowed(cidrs: readonly string[], remoteAddress: string | undefined): boolean {
  if (cidrs.length === 0) return true;
  if (!remoteAddress) return false;
  const list = new BlockList();
  for (const c of cidrs) {
    const [net, bits] = c.split('/');
    const family = isIPv4(net) ? 'ipv4' : 'ipv6';
    list.addSubnet(net, Number(bits ?? (family === 'ipv4' ? 32 : 128)), family);
  }
  const peer = plainAddress(remoteAddress);
  return list.check(peer.address, peer.family);
}
