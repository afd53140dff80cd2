import { alipayBillFiles, AlipayBillLine, alipayBillZip } from '@evcs/pay-sandboxes';
import iconv from 'iconv-lite';
import { ZipFile } from 'yazl';
import { parseAlipayDetail, parseAlipaySummary, readAlipayBill, unzipAlipayBill } from '../src/channels';

// The sandbox writes the bill (yazl, csv-stringify, iconv-lite); payments reads it (yauzl,
// csv-parse, iconv-lite): two implementations of Alipay's format that must agree.
const at = (s: string) => new Date(`${s}+08:00`);
const lines: AlipayBillLine[] = [
  {
    tradeNo: '2026112422001400000001',
    outTradeNo: 'aaa',
    kind: '交易',
    subject: 'Charging at CP-1 #2, fast',
    createdAt: at('2026-11-24T10:00:00'),
    doneAt: at('2026-11-24T10:01:00'),
    amountFen: 1234,
    requestNo: '',
  },
  {
    tradeNo: '2026112422001400000001',
    outTradeNo: 'aaa',
    kind: '退款',
    subject: 'Charging at CP-1 #2, fast',
    createdAt: at('2026-11-24T10:00:00'),
    doneAt: at('2026-11-24T11:00:00'),
    amountFen: -234,
    requestNo: 'Raaa1',
  },
  {
    tradeNo: '2026112422001400000002',
    outTradeNo: 'bbb',
    kind: '交易',
    subject: '充电',
    createdAt: at('2026-11-24T20:00:00'),
    doneAt: at('2026-11-24T23:59:59'),
    amountFen: 5,
    requestNo: '',
  },
];
const bill = { pid: '2088000000000001', date: '2026-11-24', lines, exportedAt: at('2026-11-25T09:30:00') };
const expected = [
  { kind: 'PAYMENT', outTradeNo: 'aaa', outRefundNo: null, channelTradeNo: '2026112422001400000001', amount: 1234, at: new Date('2026-11-24T02:01:00Z') },
  { kind: 'REFUND', outTradeNo: 'aaa', outRefundNo: 'Raaa1', channelTradeNo: '2026112422001400000001', amount: 234, at: new Date('2026-11-24T03:00:00Z') },
  { kind: 'PAYMENT', outTradeNo: 'bbb', outRefundNo: null, channelTradeNo: '2026112422001400000002', amount: 5, at: new Date('2026-11-24T15:59:59Z') },
];

/** A zip of the given files (names flagged UTF-8, as yazl writes them). */
async function zipOf(files: { name: string; bytes: Buffer }[]): Promise<Buffer> {
  const z = new ZipFile();
  for (const f of files) z.addBuffer(f.bytes, f.name);
  z.end();
  const chunks: Buffer[] = [];
  for await (const c of z.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A zip whose entry names are GBK without the UTF-8 flag, as Alipay's own bills are: written with
 * ASCII stand-ins of the same byte length, then the names' bytes swapped in and bit 11 cleared in
 * each local header (flags at +6, name at +30) and central directory record (+8, +46).
 */
async function gbkNamedZipOf(files: { name: string; bytes: Buffer }[]): Promise<Buffer> {
  const names = files.map((f) => iconv.encode(f.name, 'gbk'));
  const standIns = names.map((n, i) => `${i}`.padEnd(n.length, '_'));
  const zip = await zipOf(files.map((f, i) => ({ name: standIns[i], bytes: f.bytes })));
  names.forEach((gbk, i) => {
    for (let at = zip.indexOf(standIns[i]); at >= 0; at = zip.indexOf(standIns[i], at + 1)) {
      const header =
        zip.readUInt32LE(at - 30) === 0x04034b50
          ? { start: at - 30, flags: 6 }
          : zip.readUInt32LE(at - 46) === 0x02014b50
            ? { start: at - 46, flags: 8 }
            : null;
      if (!header) continue;
      gbk.copy(zip, at);
      zip.writeUInt16LE(zip.readUInt16LE(header.start + header.flags) & ~0x800, header.start + header.flags);
    }
  });
  return zip;
}

describe('Alipay daily bill: a zip of GBK CSVs with # header and footer lines and a summary', () => {
  it('is GBK on the wire, with the documented file names, # lines and tab-padded fields', async () => {
    const files = await unzipAlipayBill(await alipayBillZip(bill));
    expect([...files.keys()]).toEqual(['2088000000000001_20261124_业务明细.csv', '2088000000000001_20261124_业务明细(汇总).csv']);
    const { detail } = alipayBillFiles(bill);
    // golden bytes: 交易 is BD BB D2 D7 in GBK (E4 BA A4 E6 98 93 in UTF-8)
    const gbk = iconv.encode(detail.text, 'gbk');
    expect(gbk.includes(Buffer.from([0xbd, 0xbb, 0xd2, 0xd7]))).toBe(true);
    expect(gbk.includes(Buffer.from('交易', 'utf8'))).toBe(false);
    const text = detail.text.split('\r\n');
    expect(text.slice(0, 4)).toEqual([
      '#支付宝业务明细查询',
      '#账号：[2088000000000001]',
      '#起始日期：[2026年11月24日 00:00:00]   终止日期：[2026年11月24日 23:59:59]',
      '#-----------------------------------------业务明细列表-----------------------------------------',
    ]);
    expect(text[5]).toMatch(/^2026112422001400000001\t,aaa\t,交易\t,"Charging at CP-1 #2, fast\t",2026-11-24 10:00:00\t,/);
    expect(text.slice(-5)).toEqual([
      '#-----------------------------------------业务明细列表结束-----------------------------------------',
      '#交易合计：2笔，商家实收共12.39元，商家优惠共0.00元',
      '#退款合计：1笔，商家实收退款共-2.34元，商家优惠退款共0.00元',
      '#导出时间：[2026年11月25日 09:30:00]',
      '',
    ]);
    expect(files.get('2088000000000001_20261124_业务明细.csv')).toBe(detail.text);
  });

  it('reads the detail into statement lines, held to the summary', async () => {
    expect(await readAlipayBill(await alipayBillZip(bill))).toEqual(expected);
    const { summary } = alipayBillFiles(bill);
    expect(parseAlipaySummary(summary.text)).toEqual({ payments: 2, refunds: 1, netFen: 1005 });
  });

  it('takes entry names in GBK (no UTF-8 flag) as Alipay writes them', async () => {
    const { detail, summary } = alipayBillFiles(bill);
    const zip = await gbkNamedZipOf([
      { name: detail.name, bytes: iconv.encode(detail.text, 'gbk') },
      { name: summary.name, bytes: iconv.encode(summary.text, 'gbk') },
    ]);
    expect([...(await unzipAlipayBill(zip)).keys()]).toEqual([detail.name, summary.name]);
    expect(await readAlipayBill(zip)).toEqual(expected);
  });

  it('refuses a bill whose detail does not add up to its summary, a zip without them, and what is not a zip', async () => {
    const { detail, summary } = alipayBillFiles(bill);
    const dropped = detail.text
      .split('\r\n')
      .filter((l) => !l.includes('bbb'))
      .join('\r\n');
    const truncated = await zipOf([
      { name: detail.name, bytes: iconv.encode(dropped, 'gbk') },
      { name: summary.name, bytes: iconv.encode(summary.text, 'gbk') },
    ]);
    await expect(readAlipayBill(truncated)).rejects.toThrow(/does not add up to its summary \(2, 1, 1005\)/);
    await expect(readAlipayBill(await zipOf([{ name: detail.name, bytes: iconv.encode(detail.text, 'gbk') }]))).rejects.toThrow(
      /not the detail and its summary/,
    );
    await expect(readAlipayBill(Buffer.from('支付宝交易号,商户订单号\r\n', 'utf8'))).rejects.toThrow(/not a zip/);
  });

  it('parses a detail without lines (a quiet day) and skips business types that are not trades', () => {
    const { detail } = alipayBillFiles({ ...bill, lines: [] });
    expect(parseAlipayDetail(detail.text)).toEqual([]);
    const other = alipayBillFiles({ ...bill, lines: [{ ...lines[0], kind: '转账' as '交易' }] }).detail;
    expect(parseAlipayDetail(other.text)).toEqual([]);
  });
});
