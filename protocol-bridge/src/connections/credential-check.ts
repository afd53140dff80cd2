import type { Logger } from '@evcs/platform';
import type { ChargerDirectory, RegistrationChange } from '../ports';
import type { ConnectionRegistry } from './registry';

export interface CredentialCheckDeps {
  directory: ChargerDirectory;
  registry: ConnectionRegistry;
  logger: Logger;
  count(what: string): void;
}

/**
 * A connection lives only as long as the credential it was admitted with. Run for every asset
 * event of a charger connected here (the asset listener): a revoked credential closes the
 * connection at once (the event says so; nothing needs asking), and a rotated one — its current
 * hash no longer the one the connection was admitted with — closes it too, so a leaked password's
 * holder is cut off by either. The charger's next attempt is then decided afresh (401 with the old
 * password). Both directions of a profile change count: a profile-0 connection ends when a
 * password is set. A retired or unknown charger is not this check's business; a directory that
 * cannot answer leaves the connection as it is (logged): the event may have been any change.
 */
export async function recheckCredential(deps: CredentialCheckDeps, change: RegistrationChange): Promise<void> {
  const conn = deps.registry.get(change.tenantId, change.code, 'OCPP16');
  if (!conn || conn.credentialHash === undefined) return;
  const drop = (reason: 'credential_revoked' | 'credential_rotated', message: string) => {
    deps.count(`dropped_${reason}`);
    deps.logger.warn({ chargerId: change.code, tenantId: change.tenantId, reason }, 'closing a connection whose credential is no longer valid');
    conn.close(message);
  };
  if (change.credentialRevoked) return drop('credential_revoked', 'credential revoked');
  let fresh;
  try {
    fresh = await (deps.directory.refresh ?? deps.directory.resolve).call(deps.directory, change.code);
  } catch (err) {
    deps.logger.warn({ err, chargerId: change.code }, 'charger directory unavailable; its connection is checked at the next change');
    return;
  }
  // the registry's entry may have been replaced while assets was asked: only the one admitted before counts
  if (!fresh || deps.registry.get(change.tenantId, change.code, 'OCPP16') !== conn) return;
  if (fresh.credentialRevokedAt) return drop('credential_revoked', 'credential revoked');
  if (fresh.credentialHash !== conn.credentialHash) drop('credential_rotated', 'credential rotated');
}
