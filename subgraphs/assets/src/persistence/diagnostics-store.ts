import { chargerAuditActor, Knex, withTenant, withTenantScope } from '@evcs/platform';
import type { DiagnosticsFileRecord, DiagnosticsUploadStore } from '../domain/diagnostics';
import { appendAudit } from './charger-security-store';

interface FileRow {
  id: string;
  charger_id: string;
  file_name: string;
  size: number;
  sha256: string;
  received_at: Date;
}

const FILE_COLUMNS = ['id', 'charger_id', 'file_name', 'size', 'sha256', 'received_at'];

const toFile = (r: FileRow): DiagnosticsFileRecord => ({
  id: r.id,
  chargerId: r.charger_id,
  fileName: r.file_name,
  size: r.size,
  sha256: r.sha256,
  receivedAt: r.received_at,
});

export class PgDiagnosticsUploadStore implements DiagnosticsUploadStore {
  constructor(private readonly knex: Knex) {}

  async target(uploadId: string): Promise<{ tenantId: string; tokenHash: string; open: boolean } | null> {
    const { rows } = await this.knex.raw<{ rows: { tenant_id: string; token_hash: string; open: boolean }[] }>(
      'select * from assets.diagnostics_upload_target(?::uuid)',
      [uploadId],
    );
    return rows[0] ? { tenantId: rows[0].tenant_id, tokenHash: rows[0].token_hash, open: rows[0].open } : null;
  }

  async receive(tenantId: string, uploadId: string, f: { fileName: string; content: Buffer; sha256: string; at: Date }): Promise<DiagnosticsFileRecord | null> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const { rows } = await trx.raw<{ rows: FileRow[] }>(
        `update charger_diagnostics set file_name = ?, content = ?, size = ?, sha256 = ?, received_at = ?
          where id = ? and tenant_id = ? and received_at is null and expires_at > ?
          returning ${FILE_COLUMNS.join(', ')}`,
        [f.fileName, f.content, f.content.length, f.sha256, f.at, uploadId, tenantId, f.at],
      );
      const row = rows[0];
      if (!row) return null;
      await appendAudit(trx, tenantId, {
        actor: chargerAuditActor(row.charger_id),
        action: 'CHARGER_DIAGNOSTICS_RECEIVED',
        target: `charger:${row.charger_id}`,
        before: null,
        after: { uploadId, fileName: row.file_name, size: row.size, sha256: row.sha256 },
      });
      return toFile(row);
    });
  }
}

/** Reads of received diagnostics files, in the reader's scope (its tenant and visible ones). */
export class DiagnosticsReadRepository {
  constructor(private readonly knex: Knex) {}

  /** A charger's files, newest first (at most `limit`). */
  async files(scope: { tenantId: string; tenantIds: readonly string[] }, chargerId: string, limit: number): Promise<DiagnosticsFileRecord[]> {
    return withTenantScope(this.knex, scope, async (trx) => {
      const rows: FileRow[] = await trx('charger_diagnostics')
        .select(FILE_COLUMNS)
        .where({ charger_id: chargerId })
        .whereIn('tenant_id', [...scope.tenantIds])
        .whereNotNull('received_at')
        .orderBy([
          { column: 'received_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(limit);
      return rows.map(toFile);
    });
  }

  /** One received file with its content. */
  async file(scope: { tenantId: string; tenantIds: readonly string[] }, id: string): Promise<(DiagnosticsFileRecord & { content: Buffer }) | null> {
    return withTenantScope(this.knex, scope, async (trx) => {
      const row = (await trx('charger_diagnostics')
        .select([...FILE_COLUMNS, 'content'])
        .where({ id })
        .whereIn('tenant_id', [...scope.tenantIds])
        .whereNotNull('received_at')
        .first()) as (FileRow & { content: Buffer }) | undefined;
      return row ? { ...toFile(row), content: row.content } : null;
    });
  }
}
