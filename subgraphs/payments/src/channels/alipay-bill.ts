/**
 * Alipay's daily trade bill as downloaded from the URL `alipay.data.dataservice.bill.downloadurl.query`
 * gives: a zip of GBK-encoded CSV files —
 *
 *   …_业务明细.csv        `#` header lines, the column line, one line per payment (业务类型 交易) or
 *                         refund (退款: negative amount, 退款批次号/请求号), `#` footer lines;
 *   …_业务明细(汇总).csv  `#` header lines, the column line, a line per store and the 合计 line.
 *
 * Fields may carry padding tabs. Entry names are GBK unless the entry's UTF-8 flag is set. The
 * download is not signed, so the detail is held to the summary's counts and net amount: a
 * truncated or altered bill is refused rather than reconciled.
 */
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import yauzl from 'yauzl';
import { ChannelUnavailableError, type StatementLine } from '../domain/channel';
import { parseShanghaiDateTime } from '../domain/time';
import { yuanToFen } from './yuan';

/** Bounds on what a day's bill may unpack to: a zip bomb is refused, not inflated. */
const MAX_ENTRIES = 16;
const MAX_ENTRY_BYTES = 64 * 1024 * 1024;
/** What the download itself may weigh. */
export const MAX_BILL_ZIP_BYTES = 32 * 1024 * 1024;

const unavailable = (message: string, cause?: unknown) => new ChannelUnavailableError('ALIPAY', `statement: ${message}`, { cause });

/** The zip's CSV files by (decoded) name, their contents decoded from GBK. */
export async function unzipAlipayBill(zip: Buffer): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const archive = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(zip, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true }, (e, z) =>
      e ? reject(unavailable('not a zip', e)) : resolve(z),
    ),
  );
  if (archive.entryCount > MAX_ENTRIES) throw unavailable(`${archive.entryCount} entries in the zip`);
  await new Promise<void>((resolve, reject) => {
    archive.on('error', (e) => reject(unavailable('unreadable zip', e)));
    archive.on('end', () => resolve());
    archive.on('entry', (entry: yauzl.Entry) => {
      const raw = entry.fileName as unknown as Buffer;
      const name = (entry.generalPurposeBitFlag & 0x800) !== 0 ? raw.toString('utf8') : iconv.decode(raw, 'gbk');
      if (name.endsWith('/') || !name.endsWith('.csv')) return archive.readEntry();
      if (entry.uncompressedSize > MAX_ENTRY_BYTES) return reject(unavailable(`${name} is ${entry.uncompressedSize} bytes`));
      archive.openReadStream(entry, (e, stream) => {
        if (e) return reject(unavailable(`cannot read ${name}`, e));
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', (err) => reject(unavailable(`cannot read ${name}`, err)));
        stream.on('end', () => {
          files.set(name, iconv.decode(Buffer.concat(chunks), 'gbk'));
          archive.readEntry();
        });
      });
    });
    archive.readEntry();
  });
  return files;
}

/** The CSV part of one bill file: `#` lines dropped, columns by their (trimmed) names, fields trimmed of padding. */
function table(text: string, what: string): Record<string, string>[] {
  const body = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() && !l.startsWith('#'))
    .join('\n');
  if (!body) return [];
  try {
    return parse(body, { columns: (h: string[]) => h.map((c) => c.trim()), trim: true, skip_empty_lines: true }) as Record<string, string>[];
  } catch (e) {
    throw unavailable(`${what} is not CSV`, e);
  }
}

const column = (header: string[], prefix: string, what: string): string => {
  const name = header.find((h) => h.startsWith(prefix));
  if (!name) throw unavailable(`${what} has no column ${prefix}`);
  return name;
};

/** The trade detail (业务明细) as statement lines. */
export function parseAlipayDetail(text: string): StatementLine[] {
  const rows = table(text, 'the detail');
  if (rows.length === 0) return [];
  const header = Object.keys(rows[0]);
  const [cTrade, cOut, cType, cDone, cAmount, cReq] = ['支付宝交易号', '商户订单号', '业务类型', '完成时间', '订单金额', '退款批次号'].map((p) =>
    column(header, p, 'the detail'),
  );
  const out: StatementLine[] = [];
  for (const r of rows) {
    const kind = r[cType] === '退款' ? 'REFUND' : r[cType] === '交易' ? 'PAYMENT' : null;
    const amount = yuanToFen(r[cAmount] ?? '');
    if (!kind) continue; // other business types (e.g. 转账) are not trades of ours
    if (amount === null) throw unavailable(`amount ${JSON.stringify(r[cAmount])} of ${r[cTrade]}`);
    out.push({
      kind,
      outTradeNo: r[cOut],
      outRefundNo: kind === 'REFUND' ? r[cReq] || null : null,
      channelTradeNo: r[cTrade],
      amount: Math.abs(amount),
      at: parseShanghaiDateTime(r[cDone]),
    });
  }
  return out;
}

/** The summary's 合计 line: counts of payments and refunds and the net received (fen). */
export function parseAlipaySummary(text: string): { payments: number; refunds: number; netFen: number } {
  const rows = table(text, 'the summary');
  if (rows.length === 0) throw unavailable('the summary has no lines');
  const header = Object.keys(rows[0]);
  const [cStore, cPayments, cRefunds, cNet] = ['门店编号', '交易订单总笔数', '退款订单总笔数', '商家实收'].map((p) => column(header, p, 'the summary'));
  const total = rows.find((r) => r[cStore] === '合计');
  const netFen = total ? yuanToFen(total[cNet]) : null;
  if (!total || netFen === null || !/^\d+$/.test(total[cPayments]) || !/^\d+$/.test(total[cRefunds])) throw unavailable('the summary has no 合计 line');
  return { payments: Number(total[cPayments]), refunds: Number(total[cRefunds]), netFen };
}

/** The whole download: the detail's lines, held to the summary's counts and net amount. */
export async function readAlipayBill(zip: Buffer): Promise<StatementLine[]> {
  const files = await unzipAlipayBill(zip);
  const named = (suffix: string) => [...files.entries()].find(([n]) => n.endsWith(suffix))?.[1];
  const detail = named('_业务明细.csv');
  const summary = named('_业务明细(汇总).csv');
  if (detail === undefined || summary === undefined)
    throw unavailable(`the zip holds ${[...files.keys()].join(', ') || 'no CSV'}, not the detail and its summary`);
  const lines = parseAlipayDetail(detail);
  const s = parseAlipaySummary(summary);
  const payments = lines.filter((l) => l.kind === 'PAYMENT');
  const refunds = lines.filter((l) => l.kind === 'REFUND');
  const net = payments.reduce((a, l) => a + l.amount, 0) - refunds.reduce((a, l) => a + l.amount, 0);
  if (payments.length !== s.payments || refunds.length !== s.refunds || net !== s.netFen)
    throw unavailable(
      `the detail (${payments.length} payments, ${refunds.length} refunds, net ${net} fen) does not add up to its summary (${s.payments}, ${s.refunds}, ${s.netFen})`,
    );
  return lines;
}
