/**
 * Alipay's daily trade bill (账单) as `alipay.data.dataservice.bill.downloadurl.query` hands it
 * out: a zip (`<pid>_<yyyyMMdd>.csv.zip`) of two GBK-encoded CSV files,
 *
 *   <pid>_<yyyyMMdd>_业务明细.csv        the detail: `#` header lines (title, account, period, a rule),
 *                                        the column line, one line per payment (业务类型 交易) or
 *                                        refund (退款, negative amounts, 退款批次号/请求号), a closing
 *                                        rule, the 交易合计/退款合计 totals and the export time as `#` lines;
 *   <pid>_<yyyyMMdd>_业务明细(汇总).csv  the summary: `#` header lines, the column line, one line per
 *                                        store and the 合计 line, `#` footer lines.
 *
 * Lines end CRLF; every data field carries a trailing tab, as Alipay writes them (so spreadsheet
 * programs keep long trade numbers as text). Entry names are UTF-8 with the zip's UTF-8 flag
 * (yazl writes no other); Alipay's own zips name them in GBK without it — readers take both.
 */
import iconv from 'iconv-lite';
import { stringify } from 'csv-stringify/sync';
import { ZipFile } from 'yazl';
import { fenToYuan, shanghaiDateTime } from './common';

export interface AlipayBillLine {
  tradeNo: string;
  outTradeNo: string;
  kind: '交易' | '退款';
  subject: string;
  createdAt: Date;
  doneAt: Date;
  /** fen; negative for a refund */
  amountFen: number;
  /** 退款批次号/请求号: the refund's out_request_no; empty for a payment */
  requestNo: string;
}

export const ALIPAY_DETAIL_COLUMNS = [
  '支付宝交易号',
  '商户订单号',
  '业务类型',
  '商品名称',
  '创建时间',
  '完成时间',
  '门店编号',
  '门店名称',
  '操作员',
  '终端号',
  '对方账户',
  '订单金额（元）',
  '商家实收（元）',
  '支付宝红包（元）',
  '集分宝（元）',
  '支付宝优惠（元）',
  '商家优惠（元）',
  '券核销金额（元）',
  '券名称',
  '商家红包消费金额（元）',
  '卡消费金额（元）',
  '退款批次号/请求号',
  '服务费（元）',
  '分润（元）',
  '备注',
] as const;

export const ALIPAY_SUMMARY_COLUMNS = [
  '门店编号',
  '门店名称',
  '交易订单总笔数',
  '退款订单总笔数',
  '订单金额（元）',
  '商家实收（元）',
  '支付宝优惠（元）',
  '商家优惠（元）',
  '卡消费金额（元）',
  '服务费（元）',
  '分润（元）',
  '实收净额（元）',
] as const;

const RULE = '-----------------------------------------';
/** 2026-11-24 → 2026年11月24日, the bill's own date notation */
const cnDate = (date: string) => `${date.slice(0, 4)}年${date.slice(5, 7)}月${date.slice(8, 10)}日`;
const cnDateTime = (d: Date) => {
  const s = shanghaiDateTime(d);
  return `${cnDate(s.slice(0, 10))} ${s.slice(11)}`;
};
const csv = (rows: string[][]) => stringify(rows, { record_delimiter: '\r\n' });
const tabbed = (fields: string[]) => fields.map((f) => `${f}\t`);

export interface AlipayBillInput {
  /** the merchant's partner id (2088…), the bill's 账号 and file names */
  pid: string;
  /** the Asia/Shanghai day, yyyy-MM-dd */
  date: string;
  lines: readonly AlipayBillLine[];
  exportedAt: Date;
}

/** The two files' names and (Unicode) texts, before GBK. */
export function alipayBillFiles(b: AlipayBillInput): { detail: { name: string; text: string }; summary: { name: string; text: string } } {
  const stem = `${b.pid}_${b.date.replace(/-/g, '')}`;
  const period = `#起始日期：[${cnDate(b.date)} 00:00:00]   终止日期：[${cnDate(b.date)} 23:59:59]`;
  const payments = b.lines.filter((l) => l.kind === '交易');
  const refunds = b.lines.filter((l) => l.kind === '退款');
  const sum = (ls: readonly AlipayBillLine[]) => ls.reduce((s, l) => s + l.amountFen, 0);
  const detailRows = b.lines.map((l) =>
    tabbed([
      l.tradeNo,
      l.outTradeNo,
      l.kind,
      l.subject,
      shanghaiDateTime(l.createdAt),
      shanghaiDateTime(l.doneAt),
      '',
      '',
      '',
      '',
      'sbx***@example.com',
      fenToYuan(l.amountFen),
      fenToYuan(l.amountFen),
      '0.00',
      '0.00',
      '0.00',
      '0.00',
      '0.00',
      '',
      '0.00',
      '0.00',
      l.requestNo,
      '0.00',
      '0.00',
      '',
    ]),
  );
  const detail = [
    '#支付宝业务明细查询',
    `#账号：[${b.pid}]`,
    period,
    `#${RULE}业务明细列表${RULE}`,
    csv([[...ALIPAY_DETAIL_COLUMNS], ...detailRows]).trimEnd(),
    `#${RULE}业务明细列表结束${RULE}`,
    `#交易合计：${payments.length}笔，商家实收共${fenToYuan(sum(payments))}元，商家优惠共0.00元`,
    `#退款合计：${refunds.length}笔，商家实收退款共${fenToYuan(sum(refunds))}元，商家优惠退款共0.00元`,
    `#导出时间：[${cnDateTime(b.exportedAt)}]`,
    '',
  ].join('\r\n');
  const net = fenToYuan(sum(b.lines));
  const summary = [
    '#支付宝业务汇总查询',
    `#账号：[${b.pid}]`,
    period,
    `#${RULE}业务汇总列表${RULE}`,
    csv([
      [...ALIPAY_SUMMARY_COLUMNS],
      tabbed(['合计', '', String(payments.length), String(refunds.length), fenToYuan(sum(payments)), net, '0.00', '0.00', '0.00', '0.00', '0.00', net]),
    ]).trimEnd(),
    `#${RULE}业务汇总列表结束${RULE}`,
    `#导出时间：[${cnDateTime(b.exportedAt)}]`,
    '',
  ].join('\r\n');
  return { detail: { name: `${stem}_业务明细.csv`, text: detail }, summary: { name: `${stem}_业务明细(汇总).csv`, text: summary } };
}

/** The download itself: both files GBK-encoded in one zip (deflated). */
export function alipayBillZip(b: AlipayBillInput): Promise<Buffer> {
  const { detail, summary } = alipayBillFiles(b);
  const zip = new ZipFile();
  for (const f of [detail, summary]) zip.addBuffer(iconv.encode(f.text, 'gbk'), f.name, { mtime: b.exportedAt, compress: true });
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}
