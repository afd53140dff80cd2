import { createHash, X509Certificate } from 'node:crypto';
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
  /**
   * Verification keys by serial: the WeChat Pay public key by its PUB_KEY_ID_… (public-key mode),
   * and/or platform certificates' public keys. May be empty in certificate mode: the certificates
   * are then fetched from /v3/certificates before the first call.
   */
  platformKeys: Record<string, string>;
  /**
   * An unknown certificate serial (a rotation) refetches /v3/certificates at most this often
   * (default 60 s): notifications are public, so forged serials must not become a flood of downloads.
   */
  certificateRefreshMinMs?: number;
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
  /** serial → public key (PEM): configured ones, then platform certificates as they are fetched */
  private readonly keys: Record<string, string>;
  /** the plugin's client verifies with the keys it was built with: rebuilt when they change */
  private wx: Wechatpay | null = null;
  private refreshing: Promise<void> | null = null;
  private lastRefreshAt = Number.NEGATIVE_INFINITY;
  /** how often /v3/certificates was downloaded (and its answer verified) */
  certificateDownloads = 0;

  constructor(private readonly cfg: WechatPayConfig) {
    if (Buffer.byteLength(cfg.apiV3Key, 'utf8') !== 32) throw new Error('the APIv3 key must be 32 bytes');
    this.keys = { ...cfg.platformKeys };
    if (Object.keys(this.keys).length > 0) this.wx = this.build();
  }

  private build(): Wechatpay {
    return new Wechatpay({
      mchid: this.cfg.mchId,
      serial: this.cfg.merchantSerialNo,
      privateKey: this.cfg.merchantPrivateKey,
      certs: { ...this.keys },
      baseURL: this.cfg.baseUrl,
      timeout: this.cfg.timeoutMs ?? 10_000,
    });
  }

  private now(): Date {
    return this.cfg.now?.() ?? new Date();
  }

  /** The serials this channel verifies with now. */
  get knownSerials(): string[] {
    return Object.keys(this.keys);
  }

  /** Verify `timestamp\nnonce\nbody\n` against Wechatpay-Signature with the key named by Wechatpay-Serial; null when good. */
  private signatureProblem(h: InboundHttp['headers'], body: string): string | null {
    const ts = header(h, 'wechatpay-timestamp');
    const nonce = header(h, 'wechatpay-nonce');
    const sig = header(h, 'wechatpay-signature');
    const serial = header(h, 'wechatpay-serial');
    if (!ts || !nonce || !sig || !serial) return 'missing signature headers';
    const key = this.keys[serial];
    if (!key) return `unknown serial ${serial}`;
    if (!/^\d+$/.test(ts) || Math.abs(this.now().getTime() - Number(ts) * 1000) > (this.cfg.maxSkewMs ?? 5 * 60_000)) return 'stale or future timestamp';
    try {
      return Rsa.verify(Formatter.response(ts, nonce, body), sig, key) ? null : 'signature did not verify';
    } catch {
      return 'signature did not verify';
    }
  }

  /**
   * Like signatureProblem, but a certificate serial we don't hold (WeChat Pay rotated its
   * certificate) first refetches the certificates. A `PUB_KEY_ID_…` is configured, never fetched.
   */
  private async checkSignature(h: InboundHttp['headers'], body: string): Promise<string | null> {
    const serial = header(h, 'wechatpay-serial');
    if (serial && !this.keys[serial] && !serial.startsWith('PUB_KEY_ID_')) {
      try {
        await this.refreshCertificates();
      } catch (e) {
        return `serial ${serial} unknown and the certificates could not be fetched: ${(e as Error).message}`;
      }
    }
    return this.signatureProblem(h, body);
  }

  /**
   * Fetch the platform certificates again (one download at a time, at most once per
   * certificateRefreshMinMs unless none is held yet).
   */
  async refreshCertificates(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    const t = this.now().getTime();
    if (this.wx && t - this.lastRefreshAt < (this.cfg.certificateRefreshMinMs ?? 60_000)) return;
    this.lastRefreshAt = t;
    this.refreshing = this.downloadCertificates().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /**
   * GET /v3/certificates, signed like any call; each certificate decrypted with the APIv3 key
   * (AEAD_AES_256_GCM, which is what makes it trustworthy: only WeChat Pay and we hold the key),
   * its serial checked against the one listed, expired ones left out; the answer's own signature
   * then verified with the key its Wechatpay-Serial names (among them or ours) before any is kept.
   */
  private async downloadCertificates(): Promise<void> {
    const path = '/v3/certificates';
    const ts = Formatter.timestamp();
    const nonce = Formatter.nonce();
    const signature = Rsa.sign(Formatter.request('GET', path, ts, nonce, ''), this.cfg.merchantPrivateKey);
    const fail = (why: string, cause?: unknown) => new ChannelUnavailableError('WECHATPAY', `platform certificates: ${why}`, { cause });
    let res: Response;
    let text: string;
    try {
      res = await fetch(new URL(path, this.cfg.baseUrl), {
        headers: { authorization: Formatter.authorization(this.cfg.mchId, nonce, signature, ts, this.cfg.merchantSerialNo), accept: 'application/json' },
        signal: AbortSignal.timeout(this.cfg.timeoutMs ?? 10_000),
      });
      text = await res.text();
    } catch (e) {
      throw fail('download failed', e);
    }
    this.certificateDownloads++;
    if (!res.ok) throw fail(`HTTP ${res.status}`);
    const found = this.certificatesOf(text, fail);
    const headers = Object.fromEntries(res.headers.entries());
    const before = { ...this.keys };
    Object.assign(this.keys, found);
    const problem = this.signatureProblem(headers, text);
    if (problem) {
      for (const k of Object.keys(this.keys)) if (!(k in before)) delete this.keys[k];
      throw fail(`the answer did not verify: ${problem}`);
    }
    this.wx = this.build();
  }

  /** The certificates an answer of /v3/certificates lists, decrypted and checked: serial → public key PEM. */
  private certificatesOf(text: string, fail: (why: string, cause?: unknown) => Error): Record<string, string> {
    let body: { data?: { serial_no?: string; encrypt_certificate?: { algorithm?: string; nonce?: string; associated_data?: string; ciphertext?: string } }[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (e) {
      throw fail('not JSON', e);
    }
    const found: Record<string, string> = {};
    for (const c of body.data ?? []) {
      const enc = c.encrypt_certificate;
      if (!c.serial_no || enc?.algorithm !== 'AEAD_AES_256_GCM' || !enc.ciphertext || !enc.nonce)
        throw fail('a certificate without an AEAD_AES_256_GCM ciphertext');
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(decryptResource(this.cfg.apiV3Key, enc.ciphertext, enc.nonce, enc.associated_data ?? ''));
      } catch (e) {
        throw fail(`certificate ${c.serial_no} did not decrypt`, e);
      }
      if (serialOf(cert.serialNumber) !== serialOf(c.serial_no)) throw fail(`certificate listed as ${c.serial_no} is ${cert.serialNumber}`);
      const t = this.now().getTime();
      if (new Date(cert.validTo).getTime() < t || new Date(cert.validFrom).getTime() > t + (this.cfg.maxSkewMs ?? 5 * 60_000)) continue;
      found[c.serial_no.toUpperCase()] = cert.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    }
    return found;
  }

  /**
   * Once there is a key to verify answers with, the plugin's client. (Never handed through a
   * promise: the plugin's client is a chaining proxy, and resolving a promise with it would call
   * its `then` — a request to /then.)
   */
  private async ensureClient(): Promise<void> {
    if (!this.wx) await this.refreshCertificates();
    if (!this.wx) throw new ChannelUnavailableError('WECHATPAY', 'no platform key or certificate to verify WeChat Pay with');
  }

  /** One API call; channel errors mapped: 4xx with a code → rejected, the rest → unavailable. */
  private async call<T>(method: 'GET' | 'POST', path: string, o: { data?: unknown; params?: Record<string, string>; responseType?: 'text' } = {}): Promise<T> {
    await this.ensureClient();
    try {
      const res = await this.wx!.client.request(path, method, o.data, { params: o.params, responseType: o.responseType });
      return res.data as T;
    } catch (e) {
      // signed with a certificate we don't hold yet: WeChat Pay rotated it; fetch and verify this very answer
      if ((e as { code?: string }).code === 'EV3_RES_HEADER_PLATFORM_SERIAL') return this.verifiedLate<T>(e, o.responseType);
      throw channelErrorOf(e);
    }
  }

  private async verifiedLate<T>(e: unknown, responseType: 'text' | undefined): Promise<T> {
    const r = (e as { response?: { data?: unknown; headers?: InboundHttp['headers'] } }).response;
    const raw = typeof r?.data === 'string' ? r.data : '';
    const problem = await this.checkSignature(r?.headers ?? {}, raw);
    if (problem) throw new ChannelUnavailableError('WECHATPAY', `answer not verified: ${problem}`, { cause: e });
    try {
      return (responseType === 'text' ? raw : JSON.parse(raw)) as T;
    } catch (err) {
      throw new ChannelUnavailableError('WECHATPAY', 'answer is not JSON', { cause: err });
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

  async verifyNotification(msg: InboundHttp): Promise<VerifiedNotification> {
    const opened = await this.openNotification(msg);
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
  private async openNotification(msg: InboundHttp): Promise<{ id: string; eventType: string | undefined; plain: Record<string, any> } | string> {
    const problem = await this.checkSignature(msg.headers, msg.rawBody);
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

/** Serials compared as the hex integers they are (no case, no leading zeros). */
const serialOf = (hex: string) => hex.toUpperCase().replace(/^0+/, '');

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
