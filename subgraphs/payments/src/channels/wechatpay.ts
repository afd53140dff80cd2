import { createHash } from 'node:crypto';
import { Aes, Formatter, Rsa, Wechatpay } from 'wechatpay-axios-plugin';
import {
  ChannelRefund,
  ChannelRefundState,
  ChannelRejectedError,
  ChannelTrade,
  ChannelTradeState,
  ChannelUnavailableError,
  ClientParams,
  CreateTradeRequest,
  InboundHttp,
  NotificationRejectedError,
  PaymentChannel,
  RefundRequest,
  StatementLine,
  VerifiedNotification,
} from '../domain/channel';
import { yuanToFen } from './yuan';
import { parseShanghaiDateTime } from '../domain/time';

export interface WechatPayConfig {
  appId: string;
  mchId: string;
  merchantSerialNo: string;
  merchantPrivateKey: string;
  /** the 32-byte APIv3 key */
  apiV3Key: string;
  /** verification keys by serial: platform certificates' public keys, or the WeChat Pay public key by its PUB_KEY_ID_… */
  platformKeys: Record<string, string>;
  /** e.g. https://api.mch.weixin.qq.com, or a sandbox */
  baseUrl: string;
  timeoutMs?: number;
  /** allowed clock difference for response and notification timestamps */
  maxSkewMs?: number;
  now?: () => Date;
}

const TRADE_STATE: Record<string, ChannelTradeState> = {
  NOTPAY: 'WAITING',
  USERPAYING: 'WAITING',
  SUCCESS: 'SUCCEEDED',
  REFUND: 'SUCCEEDED',
  CLOSED: 'CLOSED',
  REVOKED: 'CLOSED',
  PAYERROR: 'FAILED',
};
const REFUND_STATE: Record<string, ChannelRefundState> = { SUCCESS: 'SUCCEEDED', PROCESSING: 'PROCESSING', CLOSED: 'FAILED', ABNORMAL: 'FAILED' };

const header = (h: InboundHttp['headers'], name: string): string | undefined => {
  const v = h[name.toLowerCase()] ?? h[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * WeChat Pay API v3 through `wechatpay-axios-plugin` pointed at a configurable
 * base URL: it signs the Authorization header and verifies every 2xx response by
 * Wechatpay-Serial against the configured keys (platform certificates or the
 * PUB_KEY_ID_… public key) within 5 minutes. Notifications are verified the same
 * way here (Rsa.verify over Formatter.response) and decrypted with Aes.AesGcm;
 * the JSAPI paySign is Rsa.sign over the documented lines.
 */
export class WechatPayChannel implements PaymentChannel {
  readonly name = 'WECHATPAY' as const;
  readonly ack = { status: 204, contentType: 'text/plain', body: '' };
  private readonly wx: Wechatpay;

  constructor(private readonly cfg: WechatPayConfig) {
    if (Buffer.byteLength(cfg.apiV3Key, 'utf8') !== 32) throw new Error('the APIv3 key must be 32 bytes');
    this.wx = new Wechatpay({
      mchid: cfg.mchId,
      serial: cfg.merchantSerialNo,
      privateKey: cfg.merchantPrivateKey,
      certs: { ...cfg.platformKeys },
      baseURL: cfg.baseUrl,
      timeout: cfg.timeoutMs ?? 10_000,
    });
  }

  private now(): Date {
    return this.cfg.now?.() ?? new Date();
  }

  /** Verify `timestamp\nnonce\nbody\n` against Wechatpay-Signature with the key named by Wechatpay-Serial; null when good. */
  private checkSignature(h: InboundHttp['headers'], body: string): string | null {
    const ts = header(h, 'wechatpay-timestamp');
    const nonce = header(h, 'wechatpay-nonce');
    const sig = header(h, 'wechatpay-signature');
    const serial = header(h, 'wechatpay-serial');
    if (!ts || !nonce || !sig || !serial) return 'missing signature headers';
    const key = this.cfg.platformKeys[serial];
    if (!key) return `unknown serial ${serial}`;
    if (!/^\d+$/.test(ts) || Math.abs(this.now().getTime() - Number(ts) * 1000) > (this.cfg.maxSkewMs ?? 5 * 60_000)) return 'stale or future timestamp';
    try {
      return Rsa.verify(Formatter.response(ts, nonce, body), sig, key) ? null : 'signature did not verify';
    } catch {
      return 'signature did not verify';
    }
  }

  /** One API call; channel errors mapped: 4xx with a code → rejected, the rest → unavailable. */
  private async call<T>(method: 'GET' | 'POST', path: string, o: { data?: unknown; params?: Record<string, string>; responseType?: 'text' } = {}): Promise<T> {
    try {
      const res = await this.wx.client.request(path, method, o.data, { params: o.params, responseType: o.responseType });
      return res.data as T;
    } catch (e) {
      throw channelErrorOf(e);
    }
  }

  async createTrade(req: CreateTradeRequest): Promise<ClientParams> {
    const base = {
      appid: this.cfg.appId,
      mchid: this.cfg.mchId,
      description: req.description,
      out_trade_no: req.outTradeNo,
      notify_url: req.notifyUrl,
      amount: { total: req.amount, currency: 'CNY' },
    };
    if (req.method === 'WECHAT_NATIVE') {
      const body = await this.call<{ code_url?: string }>('POST', '/v3/pay/transactions/native', { data: base });
      if (!body?.code_url) throw new ChannelUnavailableError('WECHATPAY', 'no code_url in the answer');
      return { qrCodeUrl: body.code_url };
    }
    if (req.method === 'WECHAT_JSAPI') {
      if (!req.openId) throw new ChannelRejectedError('WECHATPAY', 'PARAM_ERROR', 'JSAPI needs the payer openid');
      const body = await this.call<{ prepay_id?: string }>('POST', '/v3/pay/transactions/jsapi', { data: { ...base, payer: { openid: req.openId } } });
      if (!body?.prepay_id) throw new ChannelUnavailableError('WECHATPAY', 'no prepay_id in the answer');
      return { jsapi: this.jsapiParams(body.prepay_id) };
    }
    throw new ChannelRejectedError('WECHATPAY', 'UNSUPPORTED_METHOD', `WeChat Pay does not do ${req.method}`);
  }

  /** paySign = RSA over `appId\ntimeStamp\nnonceStr\nprepay_id=…\n` with the merchant key. */
  jsapiParams(prepayId: string): NonNullable<ClientParams['jsapi']> {
    const timeStamp = String(Math.floor(this.now().getTime() / 1000));
    const nonceStr = Formatter.nonce();
    const pkg = `prepay_id=${prepayId}`;
    const paySign = Rsa.sign(Formatter.joinedByLineFeed(this.cfg.appId, timeStamp, nonceStr, pkg), this.cfg.merchantPrivateKey);
    return { appId: this.cfg.appId, timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign };
  }

  async queryTrade(outTradeNo: string): Promise<ChannelTrade> {
    try {
      const body = await this.call<{ trade_state: string; transaction_id?: string; amount?: { total: number }; success_time?: string }>(
        'GET',
        `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}`,
        { params: { mchid: this.cfg.mchId } },
      );
      return {
        outTradeNo,
        state: TRADE_STATE[body.trade_state] ?? 'WAITING',
        channelTradeNo: body.transaction_id ?? null,
        amount: body.amount?.total ?? null,
        paidAt: body.success_time ? new Date(body.success_time) : null,
      };
    } catch (e) {
      if (e instanceof ChannelRejectedError && e.channelCode === 'ORDER_NOT_EXIST')
        return { outTradeNo, state: 'NOT_FOUND', channelTradeNo: null, amount: null, paidAt: null };
      throw e;
    }
  }

  async closeTrade(outTradeNo: string): Promise<void> {
    await this.call('POST', `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`, { data: { mchid: this.cfg.mchId } });
  }

  private toRefund(b: { out_refund_no: string; refund_id?: string; status: string; amount?: { refund: number } }): ChannelRefund {
    return {
      outRefundNo: b.out_refund_no,
      state: REFUND_STATE[b.status] ?? 'PROCESSING',
      channelRefundNo: b.refund_id ?? null,
      amount: b.amount?.refund ?? null,
    };
  }

  async refund(req: RefundRequest): Promise<ChannelRefund> {
    const body = await this.call<Parameters<WechatPayChannel['toRefund']>[0]>('POST', '/v3/refund/domestic/refunds', {
      data: {
        out_trade_no: req.outTradeNo,
        out_refund_no: req.outRefundNo,
        reason: req.reason,
        notify_url: req.notifyUrl,
        amount: { refund: req.amount, total: req.total, currency: 'CNY' },
      },
    });
    return this.toRefund(body);
  }

  async queryRefund(_outTradeNo: string, outRefundNo: string): Promise<ChannelRefund> {
    try {
      const body = await this.call<Parameters<WechatPayChannel['toRefund']>[0]>('GET', `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`);
      return this.toRefund(body);
    } catch (e) {
      if (e instanceof ChannelRejectedError && e.channelCode === 'RESOURCE_NOT_EXISTS')
        return { outRefundNo, state: 'NOT_FOUND', channelRefundNo: null, amount: null };
      throw e;
    }
  }

  verifyNotification(msg: InboundHttp): Promise<VerifiedNotification> {
    const opened = this.openNotification(msg);
    if (typeof opened === 'string') return Promise.reject(new NotificationRejectedError('WECHATPAY', opened));
    const { id, eventType, plain } = opened;
    if (eventType === 'TRANSACTION.SUCCESS') {
      const trade = tradeNotification(id, plain);
      return trade ? Promise.resolve(trade) : Promise.reject(new NotificationRejectedError('WECHATPAY', 'missing fields'));
    }
    if (typeof eventType === 'string' && eventType.startsWith('REFUND.')) {
      return Promise.resolve({
        kind: 'REFUND',
        notifyId: id,
        outTradeNo: String(plain.out_trade_no),
        outRefundNo: String(plain.out_refund_no),
        state: REFUND_STATE[plain.refund_status as string] ?? 'PROCESSING',
        amount: Number(plain.amount?.refund),
      });
    }
    return Promise.resolve({ kind: 'IGNORED', notifyId: id, reason: `event_type ${eventType}` });
  }

  /** A notification's signed envelope and decrypted resource, or why it is rejected. */
  private openNotification(msg: InboundHttp): { id: string; eventType: string | undefined; plain: Record<string, any> } | string {
    const problem = this.checkSignature(msg.headers, msg.rawBody);
    if (problem) return problem;
    let n: { id?: string; event_type?: string; resource?: { algorithm?: string; ciphertext?: string; nonce?: string; associated_data?: string } };
    try {
      n = JSON.parse(msg.rawBody) as typeof n;
    } catch {
      return 'not JSON';
    }
    const r = n.resource;
    if (!n.id || !r || r.algorithm !== 'AEAD_AES_256_GCM' || !r.ciphertext || !r.nonce) return 'no AEAD_AES_256_GCM resource';
    let plain: Record<string, any>;
    try {
      plain = JSON.parse(decryptResource(this.cfg.apiV3Key, r.ciphertext, r.nonce, r.associated_data ?? '')) as Record<string, any>;
    } catch {
      return 'resource did not decrypt';
    }
    if (plain.mchid !== this.cfg.mchId) return 'mchid is not ours';
    return { id: n.id, eventType: n.event_type, plain };
  }

  async statement(date: string): Promise<StatementLine[]> {
    const body = await this.call<{ download_url: string; hash_type: string; hash_value: string }>('GET', '/v3/bill/tradebill', {
      params: { bill_date: date, bill_type: 'ALL' },
    });
    const u = new URL(body.download_url);
    if (u.origin !== new URL(this.cfg.baseUrl).origin) throw new ChannelUnavailableError('WECHATPAY', 'statement download URL is not on the API host');
    const text = await this.call<string>('GET', u.pathname, { params: Object.fromEntries(u.searchParams.entries()), responseType: 'text' });
    // the download itself is unsigned: its hash from the signed tradebill answer protects it
    if (typeof text !== 'string' || body.hash_type !== 'SHA1' || createHash('sha1').update(text, 'utf8').digest('hex') !== body.hash_value)
      throw new ChannelUnavailableError('WECHATPAY', 'statement hash mismatch');
    return parseTradeBill(text);
  }
}

/** A paid trade's notification, or null when it lacks what one must carry. */
function tradeNotification(id: string, plain: Record<string, any>): VerifiedNotification | null {
  const amount = plain.amount?.total;
  if (!Number.isSafeInteger(amount) || typeof plain.out_trade_no !== 'string') return null;
  return {
    kind: 'TRADE',
    notifyId: id,
    outTradeNo: plain.out_trade_no,
    channelTradeNo: plain.transaction_id ?? null,
    state: TRADE_STATE[plain.trade_state as string] ?? 'WAITING',
    amount: amount as number,
    paidAt: plain.success_time ? new Date(plain.success_time as string) : null,
  };
}

/** A failed API call as a channel error: a 4xx with a business code → rejected, the rest → unavailable. */
function channelErrorOf(e: unknown): Error {
  const r = (e as { response?: { status?: number; data?: unknown } }).response;
  const status = r?.status ?? 0;
  const data = (typeof r?.data === 'object' && r?.data ? r.data : {}) as { code?: string; message?: string };
  if (isBusinessRefusal(status, data.code)) return new ChannelRejectedError('WECHATPAY', data.code, `${data.code}: ${data.message ?? ''}`);
  // transport errors, timeouts, 5xx, and 2xx answers whose signature did not verify
  const what = String((e as { message?: unknown })?.message ?? e).slice(0, 200);
  return new ChannelUnavailableError('WECHATPAY', `API call failed${status ? ` (HTTP ${status})` : ''}: ${what}`, { cause: e });
}

// Rate limits and WeChat's own system errors are worth a retry, not a refusal.
function isBusinessRefusal(status: number, code: string | undefined): code is string {
  return status >= 400 && status < 500 && status !== 429 && !!code && code !== 'SYSTEM_ERROR' && code !== 'FREQUENCY_LIMITED';
}

/** AEAD_AES_256_GCM with the APIv3 key; the last 16 bytes of the decoded ciphertext are the tag. */
export function decryptResource(apiV3Key: string, ciphertext: string, nonce: string, associatedData: string): string {
  return Aes.AesGcm.decrypt(ciphertext, apiV3Key, nonce, associatedData);
}

/** The tradebill text: header line, data lines whose fields start with a backtick, then the summary. */
export function parseTradeBill(text: string): StatementLine[] {
  const lines = text.split(/\r?\n/).filter(Boolean);
  if (lines.length === 0) return [];
  const header = lines[0].split(',');
  const col = (name: string) => header.indexOf(name);
  const [iTime, iTx, iOut, iState, iAmount, iRefundNo, iRefundAmount] = [
    col('交易时间'),
    col('微信订单号'),
    col('商户订单号'),
    col('交易状态'),
    col('应结订单金额'),
    col('商户退款单号'),
    col('退款金额'),
  ];
  if ([iTx, iOut, iState, iAmount].some((i) => i < 0)) throw new ChannelUnavailableError('WECHATPAY', 'statement has an unknown layout');
  const out: StatementLine[] = [];
  for (const l of lines.slice(1)) {
    if (!l.startsWith('`')) break; // the summary starts
    const f = l.split(',').map((x) => x.replace(/^`/, ''));
    const refund = f[iState] === 'REFUND';
    const amount = yuanToFen(refund ? f[iRefundAmount] : f[iAmount]);
    if (amount === null) continue;
    out.push({
      kind: refund ? 'REFUND' : 'PAYMENT',
      outTradeNo: f[iOut],
      outRefundNo: refund ? f[iRefundNo] : null,
      channelTradeNo: f[iTx],
      amount,
      at: parseShanghaiDateTime(f[iTime]),
    });
  }
  return out;
}
