import { createCipheriv, createHash, createSign, createVerify, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import type http from 'node:http';
import {
  Fault,
  fenToYuan,
  Notifier,
  readRaw,
  rfc3339Shanghai,
  sandboxServer,
  SandboxServer,
  send,
  sendJson,
  tradeControl,
  TradeControlBody,
  shanghaiDate,
  shanghaiDateTime,
  postNotification,
} from './common';
import { newPlatformCertificate, PlatformCertificate } from './wechatpay-certificates';

/**
 * WeChat Pay's documented notification retry schedule: after the first attempt,
 * again after 15s, 15s, 30s, 3m, 10m, 20m, 30m, 30m, 30m, 60m, 3h, 3h, 3h, 6h, 6h
 * (15 retries over about 24h4m), until the merchant answers 200 or 204.
 */
export const WECHATPAY_NOTIFY_SCHEDULE_MS = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600].map((s) => s * 1000);

export interface WechatPayCredentials {
  appId: string;
  mchId: string;
  /** serial number of the merchant API certificate the merchant signs with */
  merchantSerialNo: string;
  merchantPrivateKey: string;
  /** 32-byte APIv3 key (ASCII) that encrypts notification resources */
  apiV3Key: string;
  /** "WeChat Pay public key" mode: the id (PUB_KEY_ID_…) and SPKI PEM */
  platformPublicKeyId: string;
  platformPublicKey: string;
}

export interface WechatPaySandboxOptions {
  /**
   * What answers and notifications are signed with: the WeChat Pay public key (`PUB_KEY_ID_…`,
   * the default) or platform certificates, served encrypted by `GET /v3/certificates` and
   * rotated by `rotateCertificate()`.
   */
  signWith?: 'publicKey' | 'certificate';
  notifyScheduleMs?: readonly number[];
  /** A CA (PEM) the notify URL's certificate may chain to besides the system's: a test's own edge. */
  notifyCa?: string;
  /** how long a refund stays PROCESSING before it succeeds (real: seconds to minutes) */
  refundDelayMs?: number;
  now?: () => Date;
}

export type WechatTradeState = 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'PAYERROR' | 'REFUND';

export interface WechatTrade {
  outTradeNo: string;
  transactionId: string | null;
  prepayId: string;
  tradeType: 'JSAPI' | 'NATIVE';
  description: string;
  totalFen: number;
  openId: string | null;
  state: WechatTradeState;
  notifyUrl: string;
  createdAt: Date;
  paidAt: Date | null;
  refunds: {
    outRefundNo: string;
    refundId: string;
    amountFen: number;
    status: 'PROCESSING' | 'SUCCESS';
    createdAt: Date;
    successAt: Date | null;
    notifyUrl: string | null;
  }[];
  notifications: { id: string; eventType: string; attempts: number; acknowledged: boolean }[];
  bill?: { amountFen?: number; omit?: boolean };
}

export interface WechatPaySandbox extends SandboxServer {
  credentials: WechatPayCredentials;
  trade(outTradeNo: string): WechatTrade | undefined;
  pay(outTradeNo: string, opts?: { notify?: boolean; notifyAmountFen?: number }): WechatTrade;
  fail(outTradeNo: string): WechatTrade;
  close(outTradeNo: string): WechatTrade;
  renotify(outTradeNo: string): void;
  setFault(f: Fault): void;
  setBill(outTradeNo: string, bill: { amountFen?: number; omit?: boolean }): void;
  /**
   * Test hook: refund notifications from now on name this trade or refund amount instead of
   * their own (still signed and encrypted, as a misrouted or replayed one would be); null: as they are.
   */
  misstateRefundNotifications(over: { outTradeNo?: string; refundFen?: number } | null): void;
  readonly rejectedSignatures: number;
  /**
   * Certificate mode: issue a new platform certificate and sign with it from now on (the old one
   * stays listed by /v3/certificates until it expires, as WeChat Pay does); its serial.
   */
  rotateCertificate(): Promise<string>;
  /** Certificate mode: the serial answers and notifications are signed with now. */
  readonly signingSerial: string;
  /** How often `GET /v3/certificates` was asked. */
  readonly certificateDownloads: number;
}

const MAX_SKEW_MS = 5 * 60_000;

const sign = (message: string, key: string | KeyObject) => createSign('RSA-SHA256').update(message, 'utf8').sign(key, 'base64');

function parseAuthorization(h: string | undefined): Record<string, string> | null {
  if (!h?.startsWith('WECHATPAY2-SHA256-RSA2048 ')) return null;
  const out: Record<string, string> = {};
  for (const m of h.slice('WECHATPAY2-SHA256-RSA2048 '.length).matchAll(/(\w+)="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

/**
 * A local WeChat Pay API v3 with generated keys (public-key mode, "PUB_KEY_ID_…").
 * Checks the merchant's Authorization signature, serial and timestamp like the real
 * API, signs every response, encrypts notification resources with AEAD_AES_256_GCM.
 * Control API: `POST /sandbox/trades/{out_trade_no}/pay|fail|close|renotify`, `GET /sandbox/trades/{no}`,
 * `POST /sandbox/fault`.
 */
export function createWechatPaySandbox(opts: WechatPaySandboxOptions = {}): WechatPaySandbox {
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const platformPrivate = platform.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const merchantPublic = merchant.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const credentials: WechatPayCredentials = {
    appId: `wx${randomBytes(8).toString('hex')}`,
    mchId: String(1900000000 + randomBytes(3).readUIntBE(0, 3)),
    merchantSerialNo: randomBytes(20).toString('hex').toUpperCase(),
    merchantPrivateKey: merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    apiV3Key: randomBytes(16).toString('hex'),
    platformPublicKeyId: `PUB_KEY_ID_${randomBytes(16).toString('hex').toUpperCase()}`,
    platformPublicKey: platform.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  const now = opts.now ?? (() => new Date());
  const notifier = new Notifier(opts.notifyScheduleMs ?? WECHATPAY_NOTIFY_SCHEDULE_MS);
  const trades = new Map<string, WechatTrade>();
  const refundsByNo = new Map<string, WechatTrade>();
  const timers = new Set<NodeJS.Timeout>();
  const bills = new Map<string, string>();
  const lastBody = new Map<string, string>();
  let fault: Fault = 'none';
  let refundNotificationOverride: { outTradeNo?: string; refundFen?: number } | null = null;
  let rejected = 0;
  let seq = 0;

  const certificates: PlatformCertificate[] = [];
  let certificateDownloads = 0;
  /** the key answers are signed with now, and the serial that names it */
  function signer(): { serial: string; key: string | KeyObject } {
    if (opts.signWith !== 'certificate') return { serial: credentials.platformPublicKeyId, key: platformPrivate };
    const current = certificates[certificates.length - 1];
    if (!current) throw new Error('certificate mode: start() issues the first certificate');
    return { serial: current.serialNo, key: current.privateKey };
  }
  async function rotateCertificate(): Promise<string> {
    const c = await newPlatformCertificate(credentials.mchId, now());
    certificates.push(c);
    return c.serialNo;
  }

  function signedHeaders(body: string): Record<string, string> {
    const ts = String(Math.floor(now().getTime() / 1000));
    const nonce = randomBytes(16).toString('hex');
    const { serial, key } = signer();
    return {
      'Wechatpay-Timestamp': ts,
      'Wechatpay-Nonce': nonce,
      'Wechatpay-Signature': sign(`${ts}\n${nonce}\n${body}\n`, key),
      'Wechatpay-Serial': serial,
      'Request-ID': randomBytes(8).toString('hex'),
    };
  }
  function reply(res: http.ServerResponse, status: number, body?: unknown, contentType = 'application/json; charset=utf-8'): void {
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    send(res, status, text, { ...(text ? { 'content-type': contentType } : {}), ...signedHeaders(text) });
  }
  const err = (res: http.ServerResponse, status: number, code: string, message: string) => reply(res, status, { code, message });

  function encrypt(plain: string, associatedData: string) {
    const nonce = randomBytes(6).toString('hex'); // 12 characters, used as given (UTF-8) like the real API
    const c = createCipheriv('aes-256-gcm', Buffer.from(credentials.apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
    c.setAAD(Buffer.from(associatedData, 'utf8'));
    const ct = Buffer.concat([c.update(plain, 'utf8'), c.final(), c.getAuthTag()]);
    return { algorithm: 'AEAD_AES_256_GCM', ciphertext: ct.toString('base64'), associated_data: associatedData, nonce };
  }

  function transactionResource(t: WechatTrade, amountFen = t.totalFen) {
    return {
      appid: credentials.appId,
      mchid: credentials.mchId,
      out_trade_no: t.outTradeNo,
      transaction_id: t.transactionId,
      trade_type: t.tradeType,
      trade_state: t.state,
      trade_state_desc: { NOTPAY: '未支付', SUCCESS: '支付成功', CLOSED: '已关闭', PAYERROR: '支付失败', REFUND: '转入退款' }[t.state],
      bank_type: 'OTHERS',
      ...(t.paidAt ? { success_time: rfc3339Shanghai(t.paidAt) } : {}),
      payer: { openid: t.openId ?? `o${randomBytes(13).toString('hex')}` },
      amount: { total: amountFen, payer_total: amountFen, currency: 'CNY', payer_currency: 'CNY' },
    };
  }

  function notify(t: WechatTrade, eventType: string, originalType: string, resource: object, url: string | null): void {
    if (!url) return;
    const n = { id: crypto.randomUUID(), eventType, attempts: 0, acknowledged: false };
    t.notifications.push(n);
    const body = JSON.stringify({
      id: n.id,
      create_time: rfc3339Shanghai(now()),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary: eventType === 'TRANSACTION.SUCCESS' ? '支付成功' : '退款成功',
      resource: { original_type: originalType, ...encrypt(JSON.stringify(resource), originalType) },
    });
    lastBody.set(t.outTradeNo, `${url}\u0000${body}`);
    deliver(n, url, body);
  }
  function deliver(n: WechatTrade['notifications'][number], url: string, body: string): void {
    notifier.deliver(
      async () => {
        // signed when sent: a retry carries a fresh timestamp, like the real service
        const r = await postNotification(url, {
          headers: { 'content-type': 'application/json', ...signedHeaders(body) },
          body,
          timeoutMs: 5_000,
          extraCa: opts.notifyCa,
        });
        return r.status === 200 || r.status === 204;
      },
      (ok) => {
        n.attempts++;
        if (ok) n.acknowledged = true;
      },
    );
  }

  function getTrade(no: string): WechatTrade {
    const t = trades.get(no);
    if (!t) throw Object.assign(new Error(`no trade ${no}`), { status: 404 });
    return t;
  }
  function requireNotPay(t: WechatTrade) {
    if (t.state !== 'NOTPAY') throw Object.assign(new Error(`trade ${t.outTradeNo} is ${t.state}`), { status: 409 });
  }
  const api = {
    pay(no: string, o: { notify?: boolean; notifyAmountFen?: number } = {}) {
      const t = getTrade(no);
      requireNotPay(t);
      t.state = 'SUCCESS';
      t.paidAt = now();
      t.transactionId = `42000${shanghaiDate(now()).replace(/-/g, '')}${String(++seq).padStart(6, '0')}${randomBytes(4).toString('hex')}`.slice(0, 32);
      if (o.notify !== false) notify(t, 'TRANSACTION.SUCCESS', 'transaction', transactionResource(t, o.notifyAmountFen), t.notifyUrl);
      return t;
    },
    // WeChat Pay sends no notification for failed or closed payments: they are found by querying.
    fail(no: string) {
      const t = getTrade(no);
      requireNotPay(t);
      t.state = 'PAYERROR';
      return t;
    },
    close(no: string) {
      const t = getTrade(no);
      requireNotPay(t);
      t.state = 'CLOSED';
      return t;
    },
  };

  function verifyRequest(req: http.IncomingMessage, pathAndQuery: string, body: string): string | null {
    const a = parseAuthorization(req.headers.authorization);
    if (!a) return 'missing or malformed Authorization';
    if (a.mchid !== credentials.mchId) return 'mchid does not match';
    if (a.serial_no !== credentials.merchantSerialNo) return 'unknown merchant certificate serial';
    const ts = Number(a.timestamp);
    if (!Number.isInteger(ts) || Math.abs(now().getTime() - ts * 1000) > MAX_SKEW_MS) return 'timestamp out of range';
    const message = `${req.method}\n${pathAndQuery}\n${a.timestamp}\n${a.nonce_str}\n${body}\n`;
    let ok = false;
    try {
      ok = createVerify('RSA-SHA256')
        .update(message, 'utf8')
        .verify(merchantPublic, a.signature ?? '', 'base64');
    } catch {
      ok = false;
    }
    return ok ? null : 'signature verification failed';
  }

  function refundView(t: WechatTrade, r: WechatTrade['refunds'][number]) {
    return {
      refund_id: r.refundId,
      out_refund_no: r.outRefundNo,
      transaction_id: t.transactionId,
      out_trade_no: t.outTradeNo,
      channel: 'ORIGINAL',
      user_received_account: '支付用户零钱',
      ...(r.successAt ? { success_time: rfc3339Shanghai(r.successAt) } : {}),
      create_time: rfc3339Shanghai(r.createdAt),
      status: r.status,
      amount: {
        total: t.totalFen,
        refund: r.amountFen,
        payer_total: t.totalFen,
        payer_refund: r.amountFen,
        settlement_refund: r.amountFen,
        settlement_total: t.totalFen,
        discount_refund: 0,
        currency: 'CNY',
      },
    };
  }

  function paymentRow(t: WechatTrade, paidAt: Date, a: number): string[] {
    return [
      shanghaiDateTime(paidAt),
      credentials.appId,
      credentials.mchId,
      '0',
      '',
      t.transactionId ?? '',
      t.outTradeNo,
      t.openId ?? '',
      t.tradeType,
      'SUCCESS',
      'OTHERS',
      'CNY',
      fenToYuan(a),
      '0.00',
      '0',
      '0',
      '0.00',
      '0.00',
      '',
      '',
      t.description,
      '',
      '0.00',
      '0.60%',
      fenToYuan(a),
      '0.00',
      '',
    ];
  }

  function refundRow(t: WechatTrade, r: WechatTrade['refunds'][number], successAt: Date): string[] {
    return [
      shanghaiDateTime(successAt),
      credentials.appId,
      credentials.mchId,
      '0',
      '',
      t.transactionId ?? '',
      t.outTradeNo,
      t.openId ?? '',
      t.tradeType,
      'REFUND',
      'OTHERS',
      'CNY',
      '0.00',
      '0.00',
      r.refundId,
      r.outRefundNo,
      fenToYuan(r.amountFen),
      '0.00',
      'ORIGINAL',
      'SUCCESS',
      t.description,
      '',
      '0.00',
      '0.60%',
      '0.00',
      fenToYuan(r.amountFen),
      '',
    ];
  }

  /**
   * The tradebill (bill_type=ALL) of one Asia/Shanghai day as plain text: every
   * field prefixed with a backtick, amounts in yuan, then the summary header and line.
   */
  function tradebill(date: string): string {
    const header =
      '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
    const rows: string[][] = [];
    let total = 0;
    let refunded = 0;
    for (const t of trades.values()) {
      if (t.bill?.omit) continue;
      if (t.paidAt && shanghaiDate(t.paidAt) === date) {
        const a = t.bill?.amountFen ?? t.totalFen;
        total += a;
        rows.push(paymentRow(t, t.paidAt, a));
      }
      for (const r of t.refunds) {
        if (r.status !== 'SUCCESS' || !r.successAt || shanghaiDate(r.successAt) !== date) continue;
        refunded += r.amountFen;
        rows.push(refundRow(t, r, r.successAt));
      }
    }
    const line = (fields: string[]) => fields.map((f) => `\`${f}`).join(',');
    return [
      header,
      ...rows.map(line),
      '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
      line([String(rows.length), fenToYuan(total), fenToYuan(refunded), '0.00', '0.00', fenToYuan(total), fenToYuan(refunded)]),
      '',
    ].join('\r\n');
  }

  /** A v3 API call, verified and parsed: `params` are the route pattern's captures. */
  interface V3Call {
    res: http.ServerResponse;
    url: URL;
    json: Record<string, any>;
    params: string[];
  }

  /** Why a transaction order is refused (400 PARAM_ERROR), if it is. */
  function orderProblem(json: Record<string, any>, type: WechatTrade['tradeType']): string | null {
    const total = json.amount?.total;
    if (json.appid !== credentials.appId || json.mchid !== credentials.mchId) return 'appid/mchid mismatch';
    if (!Number.isInteger(total) || total <= 0 || typeof json.out_trade_no !== 'string' || !/^[0-9A-Za-z_\-|*]{6,32}$/.test(json.out_trade_no))
      return 'invalid out_trade_no or amount';
    if (!json.notify_url || typeof json.description !== 'string') return 'notify_url and description are required';
    if (type === 'JSAPI' && !json.payer?.openid) return 'payer.openid is required for JSAPI';
    return null;
  }

  function newTrade(json: Record<string, any>, type: WechatTrade['tradeType']): WechatTrade {
    return {
      outTradeNo: json.out_trade_no as string,
      transactionId: null,
      prepayId: `wx${shanghaiDateTime(now()).replace(/\D/g, '')}${randomBytes(12).toString('hex')}`.slice(0, 36),
      tradeType: type,
      description: json.description as string,
      totalFen: json.amount.total as number,
      openId: (json.payer?.openid as string | undefined) ?? null,
      state: 'NOTPAY',
      notifyUrl: json.notify_url as string,
      createdAt: now(),
      paidAt: null,
      refunds: [],
      notifications: [],
    };
  }

  function createTransaction({ res, json, params }: V3Call): void {
    const type = params[0] === 'jsapi' ? 'JSAPI' : 'NATIVE';
    const problem = orderProblem(json, type);
    if (problem) return err(res, 400, 'PARAM_ERROR', problem);
    let t = trades.get(json.out_trade_no as string);
    if (t) {
      if (t.totalFen !== json.amount.total || t.tradeType !== type) return err(res, 400, 'INVALID_REQUEST', '201 商户订单号重复');
      if (t.state === 'SUCCESS') return err(res, 400, 'ORDERPAID', '订单已支付');
    } else {
      t = newTrade(json, type);
      trades.set(t.outTradeNo, t);
    }
    return reply(res, 200, type === 'JSAPI' ? { prepay_id: t.prepayId } : { code_url: `weixin://wxpay/bizpayurl?pr=${t.prepayId.slice(-10)}` });
  }

  function queryTransaction({ res, url, params }: V3Call): void {
    if (url.searchParams.get('mchid') !== credentials.mchId) return err(res, 400, 'PARAM_ERROR', 'mchid mismatch');
    const t = trades.get(decodeURIComponent(params[0]));
    if (!t) return err(res, 404, 'ORDER_NOT_EXIST', '订单不存在');
    return reply(res, 200, transactionResource(t));
  }

  function closeTransaction({ res, params }: V3Call): void {
    const t = trades.get(decodeURIComponent(params[0]));
    if (!t) return err(res, 404, 'ORDER_NOT_EXIST', '订单不存在');
    if (t.state === 'SUCCESS') return err(res, 400, 'ORDERPAID', '订单已支付');
    t.state = 'CLOSED';
    return reply(res, 204);
  }

  /** The refund succeeds a moment later, and WeChat Pay says so asynchronously. */
  function settleRefundLater(t: WechatTrade, outRefundNo: string): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      const rr = t.refunds.find((x) => x.outRefundNo === outRefundNo)!;
      Object.assign(rr, { status: 'SUCCESS', successAt: now() });
      notify(
        t,
        'REFUND.SUCCESS',
        'refund',
        {
          mchid: credentials.mchId,
          out_trade_no: refundNotificationOverride?.outTradeNo ?? t.outTradeNo,
          transaction_id: t.transactionId,
          out_refund_no: rr.outRefundNo,
          refund_id: rr.refundId,
          refund_status: 'SUCCESS',
          success_time: rfc3339Shanghai(rr.successAt!),
          user_received_account: '支付用户零钱',
          amount: {
            total: t.totalFen,
            refund: refundNotificationOverride?.refundFen ?? rr.amountFen,
            payer_total: t.totalFen,
            payer_refund: refundNotificationOverride?.refundFen ?? rr.amountFen,
          },
        },
        rr.notifyUrl,
      );
    }, opts.refundDelayMs ?? 200);
    timer.unref();
    timers.add(timer);
  }

  function validRefundRequest(json: Record<string, any>, t: WechatTrade, amount: unknown, outRefundNo: string): amount is number {
    return Number.isInteger(amount) && (amount as number) > 0 && !!outRefundNo && json.amount?.total === t.totalFen && json.amount?.currency === 'CNY';
  }

  function createRefund({ res, json }: V3Call): void {
    const t = trades.get(String(json.out_trade_no ?? ''));
    if (!t) return err(res, 404, 'RESOURCE_NOT_EXISTS', '订单不存在');
    const amount: unknown = json.amount?.refund;
    const outRefundNo = String(json.out_refund_no ?? '');
    if (!validRefundRequest(json, t, amount, outRefundNo)) return err(res, 400, 'PARAM_ERROR', 'invalid refund amount');
    const prior = t.refunds.find((r) => r.outRefundNo === outRefundNo);
    if (prior) {
      if (prior.amountFen !== amount) return err(res, 400, 'INVALID_REQUEST', '退款单号重复且金额不一致');
      return reply(res, 200, refundView(t, prior));
    }
    if (t.state !== 'SUCCESS' && t.state !== 'REFUND') return err(res, 400, 'INVALID_REQUEST', '订单状态不允许退款');
    const sum = t.refunds.reduce((s, r) => s + r.amountFen, 0);
    if (sum + amount > t.totalFen) return err(res, 400, 'INVALID_REQUEST', '申请退款金额超过订单可退金额');
    const r = {
      outRefundNo,
      refundId: `50300${Date.now()}${randomBytes(4).toString('hex')}`,
      amountFen: amount,
      status: 'PROCESSING' as const,
      createdAt: now(),
      successAt: null,
      notifyUrl: (json.notify_url as string | undefined) ?? null,
    };
    t.refunds.push(r);
    t.state = 'REFUND';
    refundsByNo.set(outRefundNo, t);
    settleRefundLater(t, outRefundNo);
    return reply(res, 200, refundView(t, r));
  }

  function queryRefund({ res, params }: V3Call): void {
    const no = decodeURIComponent(params[0]);
    const t = refundsByNo.get(no);
    const r = t?.refunds.find((x) => x.outRefundNo === no);
    if (!t || !r) return err(res, 404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
    return reply(res, 200, refundView(t, r));
  }

  function tradebillUrl({ res, url }: V3Call): void {
    const date = url.searchParams.get('bill_date') ?? '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return err(res, 400, 'PARAM_ERROR', 'bill_date');
    const text = tradebill(date);
    const token = randomBytes(12).toString('hex');
    bills.set(token, text);
    return reply(res, 200, {
      hash_type: 'SHA1',
      hash_value: createHash('sha1').update(text, 'utf8').digest('hex'),
      download_url: `${srv.baseUrl()}/v3/billdownload/file?token=${token}`,
    });
  }

  function billDownload({ res, url }: V3Call): void {
    const text = bills.get(url.searchParams.get('token') ?? '');
    if (text === undefined) return err(res, 404, 'NO_STATEMENT_EXIST', '账单不存在');
    // the real download is not signed (the hash from tradebill protects it)
    return send(res, 200, text, { 'content-type': 'text/plain; charset=utf-8' });
  }

  /**
   * The platform certificates (certificate mode), each PEM encrypted AEAD_AES_256_GCM under the
   * APIv3 key with associated_data `certificate`; signed, like every answer, with the current one.
   */
  function listCertificates({ res }: V3Call): void {
    certificateDownloads++;
    if (opts.signWith !== 'certificate') return err(res, 404, 'NOT_FOUND', '商户已切换为微信支付公钥模式');
    return reply(res, 200, {
      data: certificates
        .filter((c) => c.expiresAt > now())
        .map((c) => ({
          serial_no: c.serialNo,
          effective_time: rfc3339Shanghai(c.effectiveAt),
          expire_time: rfc3339Shanghai(c.expiresAt),
          encrypt_certificate: encrypt(c.pem, 'certificate'),
        })),
    });
  }

  /** The v3 APIs the sandbox serves: the first whose method and path match answers. */
  const v3Routes: { method: 'GET' | 'POST'; path: RegExp; handle: (call: V3Call) => void }[] = [
    { method: 'POST', path: /^\/v3\/pay\/transactions\/(jsapi|native)$/, handle: createTransaction },
    { method: 'GET', path: /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/, handle: queryTransaction },
    { method: 'POST', path: /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/, handle: closeTransaction },
    { method: 'POST', path: /^\/v3\/refund\/domestic\/refunds$/, handle: createRefund },
    { method: 'GET', path: /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/, handle: queryRefund },
    { method: 'GET', path: /^\/v3\/bill\/tradebill$/, handle: tradebillUrl },
    { method: 'GET', path: /^\/v3\/billdownload\/file$/, handle: billDownload },
    { method: 'GET', path: /^\/v3\/certificates$/, handle: listCertificates },
  ];

  async function v3(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const body = req.method === 'GET' ? '' : await readRaw(req);
    const problem = verifyRequest(req, `${url.pathname}${url.search}`, body);
    if (problem) {
      rejected++;
      return err(res, 401, 'SIGN_ERROR', problem);
    }
    let json: Record<string, any> = {};
    if (body) {
      try {
        json = JSON.parse(body) as Record<string, any>;
      } catch {
        return err(res, 400, 'PARAM_ERROR', 'body is not JSON');
      }
    }
    for (const route of v3Routes) {
      const m = req.method === route.method ? route.path.exec(url.pathname) : null;
      if (m) return route.handle({ res, url, json, params: m.slice(1) });
    }
    return err(res, 404, 'NOT_FOUND', 'no such API');
  }

  const tradeControls = {
    get: getTrade,
    act: (no: string, action: string, body: TradeControlBody) => {
      if (action === 'renotify') sandbox.renotify(no);
      else if (action === 'pay') api.pay(no, body);
      else api[action as 'fail' | 'close'](no);
      return getTrade(no);
    },
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (url.pathname.startsWith('/v3/')) {
      if (fault === 'hang') return;
      if (fault === 'http500') return send(res, 500, JSON.stringify({ code: 'SYSTEM_ERROR', message: '系统错误' }), { 'content-type': 'application/json' });
      return v3(req, res, url);
    }
    if (url.pathname === '/sandbox/fault' && req.method === 'POST') {
      fault = (JSON.parse((await readRaw(req)) || '{}') as { mode?: Fault }).mode ?? 'none';
      return sendJson(res, 200, { fault });
    }
    const cm = /^\/sandbox\/trades\/([0-9A-Za-z_\-|*]+)(?:\/(pay|fail|close|renotify))?$/.exec(url.pathname);
    if (cm && (await tradeControl(req, res, cm[1], cm[2], tradeControls))) return;
    return send(res, 404, 'not found');
  }

  const srv = sandboxServer(handle, () => {
    notifier.stop();
    for (const t of timers) clearTimeout(t);
  });
  const sandbox: WechatPaySandbox = {
    ...srv,
    // certificate mode: the first certificate exists before anything is answered
    start: async (port) => {
      if (opts.signWith === 'certificate' && certificates.length === 0) await rotateCertificate();
      return srv.start(port);
    },
    credentials,
    rotateCertificate,
    get signingSerial() {
      return signer().serial;
    },
    get certificateDownloads() {
      return certificateDownloads;
    },
    trade: (no) => trades.get(no),
    pay: (no, o) => api.pay(no, o),
    fail: (no) => api.fail(no),
    close: (no) => api.close(no),
    renotify: (no) => {
      const t = getTrade(no);
      const last = lastBody.get(no);
      const n = t.notifications[t.notifications.length - 1];
      if (!last || !n) throw Object.assign(new Error(`no notification for ${no}`), { status: 409 });
      const [url, body] = last.split('\u0000');
      deliver(n, url, body);
    },
    setFault: (f) => (fault = f),
    setBill: (no, bill) => (getTrade(no).bill = bill),
    misstateRefundNotifications: (over) => (refundNotificationOverride = over),
    get rejectedSignatures() {
      return rejected;
    },
  };
  return sandbox;
}
