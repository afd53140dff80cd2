import { diagnosticsTokenHash, diagnosticsUploadToken } from '@evcs/platform';
import { diagnosticsFileName, DiagnosticsUploads, type DiagnosticsFileRecord, type DiagnosticsUploadStore } from '../src/domain/diagnostics';

const ID = '3f0c2a9e-5b1d-4c7e-8f6a-2d4b9e1c0a77';
const SECRET = 'unit test secret, long enough for upload tokens';
const TOKEN = diagnosticsUploadToken(SECRET, ID);

/** The port over a map: one upload, open until received. */
function aStore(open = true): DiagnosticsUploadStore & { received: number } {
  let isOpen = open;
  const store = {
    received: 0,
    target: (id: string) => Promise.resolve(id === ID ? { tenantId: 't1', tokenHash: diagnosticsTokenHash(TOKEN), open: isOpen } : null),
    receive: (_t: string, id: string, f: { fileName: string; content: Buffer; sha256: string; at: Date }): Promise<DiagnosticsFileRecord | null> => {
      if (!isOpen) return Promise.resolve(null);
      isOpen = false;
      store.received++;
      return Promise.resolve({ id, chargerId: 'c1', fileName: f.fileName, size: f.content.length, sha256: f.sha256, receivedAt: f.at });
    },
  };
  return store;
}

describe('diagnostics uploads (domain)', () => {
  it('admits the right token for an open upload only; unknown upload and wrong token answer alike', async () => {
    const u = new DiagnosticsUploads(aStore());
    expect(await u.admit(ID, TOKEN)).toEqual({ ok: true, tenantId: 't1' });
    const notFound = { ok: false, refusal: { status: 404, code: 'DIAGNOSTICS_UPLOAD_NOT_FOUND' } };
    expect(await u.admit(ID, diagnosticsUploadToken(`${SECRET}x`, ID))).toEqual(notFound);
    expect(await u.admit('8b5e7d6c-1a2b-4c3d-9e8f-0a1b2c3d4e5f', TOKEN)).toEqual(notFound);
    expect(await u.admit('not-a-uuid', TOKEN)).toEqual(notFound);
    expect(await u.admit(ID, TOKEN.toUpperCase())).toEqual(notFound);
    expect(await new DiagnosticsUploads(aStore(false)).admit(ID, TOKEN)).toEqual({ ok: false, refusal: { status: 409, code: 'DIAGNOSTICS_UPLOAD_SPENT' } });
  });

  it('records the sha256 of the content, and takes one file', async () => {
    const store = aStore();
    const u = new DiagnosticsUploads(store, () => new Date('2026-12-03T10:00:00Z'));
    const r = await u.receive('t1', ID, 'diag.log', Buffer.from('abc'));
    expect(r).toEqual({
      ok: true,
      file: expect.objectContaining({ size: 3, fileName: 'diag.log', sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' }),
    });
    expect((await u.receive('t1', ID, null, Buffer.from('again'))).ok).toBe(false);
    expect(store.received).toBe(1);
  });

  it.each([
    ['diag.tar.gz', 'diag.tar.gz'],
    ['/var/log/../diag.log', 'diag.log'],
    ['C:\\logs\\d.txt', 'd.txt'],
    ['\u0000\u0007 ', `diagnostics-${ID}`],
    [null, `diagnostics-${ID}`],
  ])('file name case %#', (given, kept) => {
    expect(diagnosticsFileName(given, ID)).toBe(kept);
  });
});
