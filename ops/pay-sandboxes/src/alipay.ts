import { createSign, createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import type http from 'node:http';
import {
  Fault,
  fenToYuan,
  Notifier,
  readRaw,
  sandboxServer,
  SandboxServer,
  send,
  sendJson,
  tradeControl,
  TradeControlBody,
  shanghaiDate,
  shanghaiDateTime,
  yuanToFen,
  postNotification,
} from './common';
import { AlipayBillLine, alipayBillZip } from './alipay-bill';

/**
 * Alipay's documented notification retry schedule: after the first attempt, again
 * 4m, 10m, 10m, 1h, 2h, 6h and 15h later (8 notifications within about 25 hours),
 * until the merchant answers the plain text `success`.
 */
export const ALIPAY_NOTIFY_SCHEDULE_MS = [4, 10, 10, 60, 120, 360, 900].map((m) => m * 60_000);

export interface AlipayCredentials {
  appId: string;
  /** the merchant's app private key (PKCS#8 PEM); Alipay holds the public half */
  appPrivateKey: string;
  /** Alipay's public key (SPKI PEM) that verifies responses and notifications */
  alipayPublicKey: string;
}

export interface AlipaySandboxOptions {
  appId?: string;
  /** delays between notification attempts; default the real schedule */
  notifyScheduleMs?: readonly number[];
  /** A CA (PEM) the notify URL's certificate may chain to besides the system's: a test's own edge. */
  notifyCa?: string;
  now?: () => Date;
}

export type AlipayTradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_CLOSED' | 'TRADE_FINISHED';

export interface AlipayTrade {
  outTradeNo: string;
  tradeNo: string;
  totalFen: number;
  subject: string;
  status: AlipayTradeStatus;
  product: 'QR' | 'APP';
  notifyUrl: string | null;
  createdAt: Date;
  paidAt: Date | null;
  closedAt: Date | null;
  refunds: { outRequestNo: string; amountFen: number; at: Date }[];
  notifications: { notifyId: string; status: AlipayTradeStatus; attempts: number; acknowledged: boolean }[];
  /** test hooks for statements: a different amount, or no line at all */
  bill?: { amountFen?: number; omit?: boolean };
}

type Params = Record<string, string>;

/** Alipay's sign content: non-empty params except `sign` (and optionally `sign_type`), ASCII-sorted, raw `k=v&…`. */
export function alipaySignContent(params: Params, dropSignType: boolean): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && !(dropSignType && k === 'sign_type') && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

const rsaSign = (content: string, key: string) => createSign('RSA-SHA256').update(content, 'utf8').sign(key, 'base64');
const rsaVerify = (content: string, sig: string, key: string) => {
  try {
    return createVerify('RSA-SHA256').update(content, 'utf8').verify(key, sig, 'base64');
  } catch {
    return false;
  }
};

export interface AlipaySandbox extends SandboxServer {
  credentials: AlipayCredentials;
  trade(outTradeNo: string): AlipayTrade | undefined;
  pay(outTradeNo: string, opts?: { notify?: boolean; notifyAmountFen?: number }): AlipayTrade;
  fail(outTradeNo: string): AlipayTrade;
  close(outTradeNo: string): AlipayTrade;
  /** Send the last notification of a trade again (a duplicate, as a retry would). */
  renotify(outTradeNo: string): void;
  setFault(f: Fault): void;
  /** Statement test hook: bill this trade with another amount, or leave it out. */
  setBill(outTradeNo: string, bill: { amountFen?: number; omit?: boolean }): void;
  /** Requests refused because of a bad signature (the real gateway answers isv.invalid-signature). */
  readonly rejectedSignatures: number;
}

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/**
 * A local Alipay OpenAPI gateway (`POST /gateway.do`) with generated keys. It checks
 * request signatures exactly like the real gateway, signs its responses and
 * notifications with its own "Alipay" key, and keeps trades in memory.
 * Control API for tests and people: `POST /sandbox/trades/{out_trade_no}/pay|fail|close|renotify`,
 * `GET /sandbox/trades/{out_trade_no}`, `POST /sandbox/app-pay` (what the Alipay app does with
 * an APP order string), `POST /sandbox/fault`.
 */
export function createAlipaySandbox(opts: AlipaySandboxOptions = {}): AlipaySandbox {
  const app = keyPair();
  const alipay = keyPair();
  const credentials: AlipayCredentials = {
    appId: opts.appId ?? `2021${randomBytes(6).toString('hex').slice(0, 12)}`,
    appPrivateKey: app.privateKey,
    alipayPublicKey: alipay.publicKey,
  };
  const now = opts.now ?? (() => new Date());
  /** the merchant's partner id (2088 and 12 digits): the bill's account and file names */
  const pid = `2088${String(randomBytes(6).readUIntBE(0, 6)).padStart(12, '0').slice(-12)}`;
  const notifier = new Notifier(opts.notifyScheduleMs ?? ALIPAY_NOTIFY_SCHEDULE_MS);
  const trades = new Map<string, AlipayTrade>();
  let fault: Fault = 'none';
  let rejected = 0;
  let seq = 0;
  const tradeNo = () => `${shanghaiDate(now()).replace(/-/g, '')}22001${String(++seq).padStart(6, '0')}${randomBytes(4).toString('hex')}`;

  /** Every answer is signed by "Alipay", errors included (the merchant's SDK verifies them all). */
  function respond(res: http.ServerResponse, method: string, body: Record<string, unknown>): void {
    const member = `${method.replace(/\./g, '_')}_response`;
    const inner = JSON.stringify(body);
    const text = `{"${member}":${inner},"sign":"${rsaSign(inner, alipay.privateKey)}"}`;
    send(res, 200, text, { 'content-type': 'application/json;charset=utf-8' });
  }
  const bizError = (code: string, msg: string, subCode: string, subMsg: string) => ({ code, msg, sub_code: subCode, sub_msg: subMsg });

  function notify(t: AlipayTrade, amountFen = t.totalFen): void {
    if (!t.notifyUrl) return;
    const url = t.notifyUrl;
    const n = { notifyId: randomBytes(16).toString('hex'), status: t.status, attempts: 0, acknowledged: false };
    t.notifications.push(n);
    const params: Params = {
      notify_time: shanghaiDateTime(now()),
      notify_type: 'trade_status_sync',
      notify_id: n.notifyId,
      app_id: credentials.appId,
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      trade_no: t.tradeNo,
      out_trade_no: t.outTradeNo,
      trade_status: t.status,
      total_amount: fenToYuan(amountFen),
      subject: t.subject,
      gmt_create: shanghaiDateTime(t.createdAt),
      ...(t.paidAt ? { gmt_payment: shanghaiDateTime(t.paidAt), receipt_amount: fenToYuan(amountFen), buyer_pay_amount: fenToYuan(amountFen) } : {}),
      ...(t.closedAt ? { gmt_close: shanghaiDateTime(t.closedAt) } : {}),
    };
    params.sign = rsaSign(alipaySignContent(params, true), alipay.privateKey);
    const form = new URLSearchParams(params).toString();
    lastFormOf.set(n.notifyId, form);
    sendNotification(n, url, form);
  }
  function sendNotification(n: AlipayTrade['notifications'][number], url: string, form: string): void {
    notifier.deliver(
      async () => {
        const r = await postNotification(url, {
          headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
          body: form,
          timeoutMs: 10_000,
          extraCa: opts.notifyCa,
        });
        // only the exact text `success` stops the retries
        return r.status >= 200 && r.status < 300 && r.text.trim() === 'success';
      },
      (ok) => {
        n.attempts++;
        if (ok) n.acknowledged = true;
      },
    );
  }
  const lastFormOf = new Map<string, string>();

  function getTrade(no: string): AlipayTrade {
    const t = trades.get(no);
    if (!t) throw Object.assign(new Error(`no trade ${no}`), { status: 404 });
    return t;
  }

  const api = {
    pay(no: string, o: { notify?: boolean; notifyAmountFen?: number } = {}) {
      const t = getTrade(no);
      if (t.status !== 'WAIT_BUYER_PAY') throw Object.assign(new Error(`trade ${no} is ${t.status}`), { status: 409 });
      t.status = 'TRADE_SUCCESS';
      t.paidAt = now();
      if (o.notify !== false) notify(t, o.notifyAmountFen);
      return t;
    },
    close(no: string) {
      const t = getTrade(no);
      if (t.status !== 'WAIT_BUYER_PAY') throw Object.assign(new Error(`trade ${no} is ${t.status}`), { status: 409 });
      t.status = 'TRADE_CLOSED';
      t.closedAt = now();
      notify(t);
      return t;
    },
  };

  function createTrade(p: Params, biz: Record<string, unknown>, product: 'QR' | 'APP'): AlipayTrade | { error: ReturnType<typeof bizError> } {
    const outTradeNo = String(biz.out_trade_no ?? '');
    const totalFen = yuanToFen(String(biz.total_amount ?? ''));
    if (!outTradeNo || totalFen === null || totalFen <= 0 || !/^\d+(\.\d{1,2})?$/.test(String(biz.total_amount))) {
      return { error: bizError('40004', 'Business Failed', 'ACQ.INVALID_PARAMETER', '参数无效') };
    }
    const existing = trades.get(outTradeNo);
    if (existing) {
      // the same out_trade_no again is idempotent for identical content, refused otherwise
      if (existing.totalFen !== totalFen) return { error: bizError('40004', 'Business Failed', 'ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改') };
      if (existing.status !== 'WAIT_BUYER_PAY') return { error: bizError('40004', 'Business Failed', 'ACQ.TRADE_HAS_SUCCESS', '交易已被支付') };
      return existing;
    }
    const t: AlipayTrade = {
      outTradeNo,
      tradeNo: tradeNo(),
      totalFen,
      subject: String(biz.subject ?? ''),
      status: 'WAIT_BUYER_PAY',
      product,
      notifyUrl: p.notify_url || null,
      createdAt: now(),
      paidAt: null,
      closedAt: null,
      refunds: [],
      notifications: [],
    };
    trades.set(outTradeNo, t);
    return t;
  }

  function verifyRequest(p: Params): boolean {
    if (p.app_id !== credentials.appId || p.sign_type !== 'RSA2' || !p.sign) return false;
    return rsaVerify(alipaySignContent(p, false), p.sign, app.publicKey);
  }

  function refundedFen(t: AlipayTrade) {
    return t.refunds.reduce((s, r) => s + r.amountFen, 0);
  }

  type Biz = Record<string, unknown>;
  const ok = { code: '10000', msg: 'Success' };
  const notExist = () => bizError('40004', 'Business Failed', 'ACQ.TRADE_NOT_EXIST', '交易不存在');
  const statusError = () => bizError('40004', 'Business Failed', 'ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
  const tradeOf = (biz: Biz) => trades.get(String(biz.out_trade_no ?? ''));

  function precreate(p: Params, biz: Biz): Record<string, unknown> {
    const t = createTrade(p, biz, 'QR');
    if ('error' in t) return t.error;
    return { ...ok, out_trade_no: t.outTradeNo, qr_code: `https://qr.alipay.com/sbx${t.tradeNo.slice(-12)}` };
  }

  function query(_p: Params, biz: Biz): Record<string, unknown> {
    const t = tradeOf(biz);
    if (!t) return notExist();
    return {
      ...ok,
      trade_no: t.tradeNo,
      out_trade_no: t.outTradeNo,
      trade_status: t.status,
      total_amount: fenToYuan(t.totalFen),
      ...(t.paidAt ? { send_pay_date: shanghaiDateTime(t.paidAt), buyer_pay_amount: fenToYuan(t.totalFen), receipt_amount: fenToYuan(t.totalFen) } : {}),
    };
  }

  function closeTrade(_p: Params, biz: Biz): Record<string, unknown> {
    const t = tradeOf(biz);
    if (!t) return notExist();
    if (t.status !== 'WAIT_BUYER_PAY') return statusError();
    api.close(t.outTradeNo);
    return { ...ok, trade_no: t.tradeNo, out_trade_no: t.outTradeNo };
  }

  /** A new refund recorded on the trade, or the error that refuses it. */
  function addRefund(t: AlipayTrade, requestNo: string, amountFen: number): Record<string, unknown> | null {
    if (t.status !== 'TRADE_SUCCESS') return statusError();
    if (refundedFen(t) + amountFen > t.totalFen) return bizError('40004', 'Business Failed', 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
    t.refunds.push({ outRequestNo: requestNo, amountFen, at: now() });
    // fully refunded: Alipay closes the trade and says so asynchronously
    if (refundedFen(t) === t.totalFen) {
      t.status = 'TRADE_CLOSED';
      t.closedAt = now();
      notify(t);
    }
    return null;
  }

  function refund(_p: Params, biz: Biz): Record<string, unknown> {
    const t = tradeOf(biz);
    if (!t) return notExist();
    const amountFen = yuanToFen(String(biz.refund_amount ?? ''));
    const requestNo = String(biz.out_request_no ?? t.outTradeNo);
    if (amountFen === null || amountFen <= 0) return bizError('40004', 'Business Failed', 'ACQ.INVALID_PARAMETER', '参数无效');
    const prior = t.refunds.find((r) => r.outRequestNo === requestNo);
    if (prior && prior.amountFen !== amountFen) return bizError('40004', 'Business Failed', 'ACQ.CONTEXT_INCONSISTENT', '退款信息不一致');
    const refused = prior ? null : addRefund(t, requestNo, amountFen);
    if (refused) return refused;
    // refund_fee is the trade's cumulative refunded amount
    return {
      ...ok,
      trade_no: t.tradeNo,
      out_trade_no: t.outTradeNo,
      fund_change: prior ? 'N' : 'Y',
      refund_fee: fenToYuan(refundedFen(t)),
      gmt_refund_pay: shanghaiDateTime(now()),
    };
  }

  function refundQuery(_p: Params, biz: Biz): Record<string, unknown> {
    const t = tradeOf(biz);
    if (!t) return notExist();
    const r = t.refunds.find((x) => x.outRequestNo === String(biz.out_request_no ?? ''));
    // a refund that does not exist answers success with no refund amount (documented behaviour)
    if (!r) return { ...ok, out_trade_no: t.outTradeNo, trade_no: t.tradeNo };
    return {
      ...ok,
      out_trade_no: t.outTradeNo,
      trade_no: t.tradeNo,
      out_request_no: r.outRequestNo,
      refund_amount: fenToYuan(r.amountFen),
      total_amount: fenToYuan(t.totalFen),
      refund_status: 'REFUND_SUCCESS',
    };
  }

  function billDownloadUrl(_p: Params, biz: Biz): Record<string, unknown> {
    const date = String(biz.bill_date ?? '');
    if (biz.bill_type !== 'trade' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return bizError('40004', 'Business Failed', 'isp.bill_not_exist', '账单不存在');
    const token = randomBytes(8).toString('hex');
    bills.set(token, date);
    // shaped like Alipay's own (dwbillcenter …/downloadBillFile.resource?…&fileType=csv.zip&downloadFileName=…)
    const file = `${pid}_${date.replace(/-/g, '')}.csv.zip`;
    return {
      ...ok,
      bill_download_url: `${base()}/downloadBillFile.resource?bizType=trade&userId=${pid}&fileType=csv.zip&bill_date=${date}&downloadFileName=${encodeURIComponent(file)}&token=${token}`,
    };
  }

  const methods = new Map<string, (p: Params, biz: Biz) => Record<string, unknown>>([
    ['alipay.trade.precreate', precreate],
    ['alipay.trade.query', query],
    ['alipay.trade.close', closeTrade],
    ['alipay.trade.refund', refund],
    ['alipay.trade.fastpay.refund.query', refundQuery],
    ['alipay.data.dataservice.bill.downloadurl.query', billDownloadUrl],
  ]);

  function gateway(p: Params, res: http.ServerResponse): void {
    const method = p.method ?? '';
    if (!verifyRequest(p)) {
      rejected++;
      return respond(res, method || 'error', bizError('40002', 'Invalid Arguments', 'isv.invalid-signature', '验签出错'));
    }
    let biz: Biz;
    try {
      biz = JSON.parse(p.biz_content ?? '{}') as Biz;
    } catch {
      return respond(res, method, bizError('40002', 'Invalid Arguments', 'isv.invalid-parameter', 'biz_content 不是 JSON'));
    }
    const handler = methods.get(method);
    if (!handler) return respond(res, method || 'error', bizError('40004', 'Business Failed', 'isv.invalid-method', '不存在的方法名'));
    return respond(res, method, handler(p, biz));
  }

  const bills = new Map<string, string>();
  /** The day's bill lines: payments (交易) on the day they were paid, refunds (退款, negative) on theirs. */
  function billLines(date: string): AlipayBillLine[] {
    const lines: AlipayBillLine[] = [];
    for (const t of trades.values()) {
      if (t.bill?.omit) continue;
      const line = { tradeNo: t.tradeNo, outTradeNo: t.outTradeNo, subject: t.subject, createdAt: t.createdAt };
      if (t.paidAt && shanghaiDate(t.paidAt) === date)
        lines.push({ ...line, kind: '交易', doneAt: t.paidAt, amountFen: t.bill?.amountFen ?? t.totalFen, requestNo: '' });
      for (const r of t.refunds) {
        if (shanghaiDate(r.at) === date) lines.push({ ...line, kind: '退款', doneAt: r.at, amountFen: -r.amountFen, requestNo: r.outRequestNo });
      }
    }
    return lines;
  }

  async function appPay(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // what the Alipay app does with the order string the merchant's server signed
    const p = Object.fromEntries(new URLSearchParams(await readRaw(req)).entries());
    if (!verifyRequest(p) || p.method !== 'alipay.trade.app.pay') {
      rejected++;
      return sendJson(res, 400, { code: 'isv.invalid-signature' });
    }
    const t = createTrade(p, JSON.parse(p.biz_content ?? '{}') as Record<string, unknown>, 'APP');
    if ('error' in t) return sendJson(res, 400, t.error);
    return sendJson(res, 200, { out_trade_no: t.outTradeNo, trade_no: t.tradeNo });
  }

  const tradeControls = {
    get: getTrade,
    act: (no: string, action: string, body: TradeControlBody) =>
      action === 'pay' ? api.pay(no, body) : action === 'renotify' ? (sandbox.renotify(no), getTrade(no)) : api.close(no),
  };

  async function sandboxControl(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    if (path === '/sandbox/app-pay' && req.method === 'POST') return appPay(req, res);
    if (path === '/sandbox/fault' && req.method === 'POST') {
      fault = (JSON.parse((await readRaw(req)) || '{}') as { mode?: Fault }).mode ?? 'none';
      return sendJson(res, 200, { fault });
    }
    const cm = /^\/sandbox\/trades\/([0-9A-Za-z_\-]+)(?:\/(pay|fail|close|renotify))?$/.exec(path);
    if (cm && (await tradeControl(req, res, cm[1], cm[2], tradeControls))) return;
    return send(res, 404, 'not found');
  }

  /** The bill download: unsigned (the URL's token is what guards it), a zip of GBK CSVs. */
  async function billDownload(url: URL, res: http.ServerResponse): Promise<void> {
    const date = bills.get(url.searchParams.get('token') ?? '');
    if (!date) return send(res, 404, 'not found');
    const zip = await alipayBillZip({ pid, date, lines: billLines(date), exportedAt: now() });
    const file = url.searchParams.get('downloadFileName') ?? `${pid}.csv.zip`;
    res.writeHead(200, {
      'content-type': 'application/zip',
      'content-length': String(zip.length),
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file)}`,
    });
    res.end(zip);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname;
    const control = path.startsWith('/sandbox/');
    if (fault === 'hang' && !control) return; // never answers: the caller's timeout must fire
    if (fault === 'http500' && !control) return send(res, 502, 'Bad Gateway');
    if (path === '/downloadBillFile.resource' && req.method === 'GET') return billDownload(url, res);
    if (path === '/gateway.do' && req.method === 'POST') {
      const raw = await readRaw(req);
      const p: Params = Object.fromEntries([...url.searchParams.entries(), ...new URLSearchParams(raw).entries()]);
      return gateway(p, res);
    }
    if (control) return sandboxControl(req, res, path);
    return send(res, 404, 'not found');
  }

  const srv = sandboxServer(handle, () => notifier.stop());
  const base = () => srv.baseUrl();
  const sandbox: AlipaySandbox = {
    ...srv,
    credentials,
    trade: (no) => trades.get(no),
    pay: (no, o) => api.pay(no, o),
    // Alipay has no separate "payment failed" state: an unpaid trade ends closed.
    fail: (no) => api.close(no),
    close: (no) => api.close(no),
    renotify: (no) => {
      const t = getTrade(no);
      const n = t.notifications[t.notifications.length - 1];
      const form = n && lastFormOf.get(n.notifyId);
      if (!n || !form || !t.notifyUrl) throw Object.assign(new Error(`no notification for ${no}`), { status: 409 });
      sendNotification(n, t.notifyUrl, form);
    },
    setFault: (f) => (fault = f),
    setBill: (no, bill) => (getTrade(no).bill = bill),
    get rejectedSignatures() {
      return rejected;
    },
  };
  return sandbox;
}
