import { AlipayRequestError, AlipaySdk } from 'alipay-sdk';
import {
  ChannelRefund,
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
import { fenToYuan, yuanToFen } from './yuan';
import { parseShanghaiDateTime } from '../domain/time';
import { MAX_BILL_ZIP_BYTES, readAlipayBill } from './alipay-bill';

export interface AlipayConfig {
  appId: string;
  /** the merchant's app private key, PEM (PKCS#8 or PKCS#1) */
  appPrivateKey: string;
  /** Alipay's public key, PEM: verifies responses and notifications */
  alipayPublicKey: string;
  /** e.g. https://openapi.alipay.com/gateway.do, or a sandbox's /gateway.do */
  gatewayUrl: string;
  timeoutMs?: number;
  /**
   * How old a notification's `notify_time` (when Alipay sent it; each retry is sent anew) may
   * be, and how far ahead of our clock: a captured notification replayed later is refused.
   * Default 15 minutes / 5 minutes.
   */
  notifyMaxAgeMs?: number;
  maxSkewMs?: number;
  now?: () => Date;
}

type Params = Record<string, string>;

const TRADE_STATE: Record<string, ChannelTradeState> = {
  WAIT_BUYER_PAY: 'WAITING',
  TRADE_SUCCESS: 'SUCCEEDED',
  TRADE_FINISHED: 'SUCCEEDED',
  TRADE_CLOSED: 'CLOSED',
};

/**
 * Alipay OpenAPI (gateway form API) through the official `alipay-sdk` pointed at
 * a configurable gateway: RSA2 request signing, response signatures verified
 * (`validateSign`) over the raw JSON text of the `…_response` member, APP order
 * strings by `sdkExecute`, notifications checked with `checkNotifySignV2`.
 */
export class AlipayChannel implements PaymentChannel {
  readonly name = 'ALIPAY' as const;
  readonly ack = { status: 200, contentType: 'text/plain; charset=utf-8', body: 'success' };
  private readonly sdk: AlipaySdk;

  constructor(private readonly cfg: AlipayConfig) {
    this.sdk = new AlipaySdk({
      appId: cfg.appId,
      privateKey: cfg.appPrivateKey,
      alipayPublicKey: cfg.alipayPublicKey,
      gateway: cfg.gatewayUrl,
      signType: 'RSA2',
      keyType: cfg.appPrivateKey.includes('BEGIN RSA PRIVATE KEY') ? 'PKCS1' : 'PKCS8',
      timeout: cfg.timeoutMs ?? 10_000,
      camelcase: false,
    });
  }

  /** Call a gateway method; returns the verified `…_response` object with code 10000, throws otherwise. */
  private async exec(method: string, biz: Record<string, unknown>, extra: Params = {}): Promise<Record<string, string>> {
    let body: Record<string, string>;
    try {
      body = (await this.sdk.exec(method, { ...extra, bizContent: biz }, { validateSign: true })) as unknown as Record<string, string>;
    } catch (e) {
      // transport failures, timeouts and responses whose signature does not verify
      const what = e instanceof AlipayRequestError ? e.message : String((e as { message?: unknown })?.message ?? e);
      throw new ChannelUnavailableError('ALIPAY', `gateway call failed: ${what.slice(0, 200)}`, { cause: e });
    }
    if (body.code === '10000') return body;
    const code = body.sub_code ?? body.code ?? 'UNKNOWN';
    // 20000 = service temporarily unavailable; ACQ.SYSTEM_ERROR likewise: retriable
    if (body.code === '20000' || code === 'ACQ.SYSTEM_ERROR' || code === 'aop.ACQ.SYSTEM_ERROR')
      throw new ChannelUnavailableError('ALIPAY', `${code}: ${body.sub_msg ?? body.msg}`);
    throw new ChannelRejectedError('ALIPAY', code, `${code}: ${body.sub_msg ?? body.msg ?? ''}`);
  }

  async createTrade(req: CreateTradeRequest): Promise<ClientParams> {
    const biz = { out_trade_no: req.outTradeNo, total_amount: fenToYuan(req.amount), subject: req.description };
    if (req.method === 'ALIPAY_QR') {
      const r = await this.exec('alipay.trade.precreate', biz, { notify_url: req.notifyUrl });
      if (r.out_trade_no !== req.outTradeNo || !r.qr_code) throw new ChannelUnavailableError('ALIPAY', 'precreate answered another trade');
      return { qrCodeUrl: r.qr_code };
    }
    if (req.method === 'ALIPAY_APP') {
      // built and signed locally; the app hands it to the Alipay SDK
      return {
        orderString: this.sdk.sdkExecute('alipay.trade.app.pay', { notify_url: req.notifyUrl, bizContent: { ...biz, product_code: 'QUICK_MSECURITY_PAY' } }),
      };
    }
    throw new ChannelRejectedError('ALIPAY', 'UNSUPPORTED_METHOD', `Alipay does not do ${req.method}`);
  }

  async queryTrade(outTradeNo: string): Promise<ChannelTrade> {
    try {
      const r = await this.exec('alipay.trade.query', { out_trade_no: outTradeNo });
      return {
        outTradeNo,
        state: TRADE_STATE[r.trade_status] ?? 'WAITING',
        channelTradeNo: r.trade_no ?? null,
        amount: r.total_amount ? yuanToFen(r.total_amount) : null,
        paidAt: parseShanghaiDateTime(r.send_pay_date),
      };
    } catch (e) {
      if (e instanceof ChannelRejectedError && e.channelCode === 'ACQ.TRADE_NOT_EXIST')
        return { outTradeNo, state: 'NOT_FOUND', channelTradeNo: null, amount: null, paidAt: null };
      throw e;
    }
  }

  async closeTrade(outTradeNo: string): Promise<void> {
    try {
      await this.exec('alipay.trade.close', { out_trade_no: outTradeNo });
    } catch (e) {
      // never opened at Alipay (an APP order string nobody used): nothing to close
      if (e instanceof ChannelRejectedError && e.channelCode === 'ACQ.TRADE_NOT_EXIST') return;
      throw e;
    }
  }

  async refund(req: RefundRequest): Promise<ChannelRefund> {
    // out_request_no makes a partial refund idempotent; Alipay refunds synchronously
    await this.exec('alipay.trade.refund', {
      out_trade_no: req.outTradeNo,
      refund_amount: fenToYuan(req.amount),
      out_request_no: req.outRefundNo,
      refund_reason: req.reason,
    });
    return this.queryRefund(req.outTradeNo, req.outRefundNo);
  }

  async queryRefund(outTradeNo: string, outRefundNo: string): Promise<ChannelRefund> {
    const r = await this.exec('alipay.trade.fastpay.refund.query', { out_trade_no: outTradeNo, out_request_no: outRefundNo });
    // documented: a refund that does not exist answers 10000 without refund_amount
    if (!r.refund_amount) return { outRefundNo, state: 'NOT_FOUND', channelRefundNo: null, amount: null };
    return {
      outRefundNo,
      state: !r.refund_status || r.refund_status === 'REFUND_SUCCESS' ? 'SUCCEEDED' : 'PROCESSING',
      channelRefundNo: r.trade_no ?? null,
      amount: yuanToFen(r.refund_amount),
    };
  }

  verifyNotification(msg: InboundHttp): Promise<VerifiedNotification> {
    const p: Params = Object.fromEntries(new URLSearchParams(msg.rawBody).entries());
    if (!p.sign || p.sign_type !== 'RSA2') return Promise.reject(new NotificationRejectedError('ALIPAY', 'unsigned or not RSA2'));
    // V2: the values are already decoded (URLSearchParams); sign and sign_type are left out of the content
    let verified = false;
    try {
      verified = this.sdk.checkNotifySignV2(p);
    } catch {
      verified = false;
    }
    if (!verified) return Promise.reject(new NotificationRejectedError('ALIPAY', 'signature did not verify'));
    if (p.app_id !== this.cfg.appId) return Promise.reject(new NotificationRejectedError('ALIPAY', 'app_id is not ours'));
    const timeProblem = this.notifyTimeProblem(p.notify_time);
    if (timeProblem) return Promise.reject(new NotificationRejectedError('ALIPAY', timeProblem));
    const amount = yuanToFen(p.total_amount ?? '');
    if (!p.notify_id || !p.out_trade_no || amount === null) return Promise.reject(new NotificationRejectedError('ALIPAY', 'missing fields'));
    const state = TRADE_STATE[p.trade_status];
    if (!state) return Promise.resolve({ kind: 'IGNORED', notifyId: p.notify_id, reason: `trade_status ${p.trade_status}` });
    return Promise.resolve({
      kind: 'TRADE',
      notifyId: p.notify_id,
      outTradeNo: p.out_trade_no,
      channelTradeNo: p.trade_no ?? null,
      state,
      amount,
      paidAt: parseShanghaiDateTime(p.gmt_payment),
    });
  }

  /** Why `notify_time` (Shanghai time, signed with the rest) is unacceptable, or null. */
  private notifyTimeProblem(notifyTime: string | undefined): string | null {
    const sentAt = parseShanghaiDateTime(notifyTime);
    if (!sentAt) return 'no notify_time';
    const ageMs = (this.cfg.now?.() ?? new Date()).getTime() - sentAt.getTime();
    if (ageMs < -(this.cfg.maxSkewMs ?? 5 * 60_000)) return 'notify_time is in the future';
    if (ageMs > (this.cfg.notifyMaxAgeMs ?? 15 * 60_000)) return 'notify_time is stale';
    return null;
  }

  async statement(date: string): Promise<StatementLine[]> {
    const r = await this.exec('alipay.data.dataservice.bill.downloadurl.query', { bill_type: 'trade', bill_date: date });
    let zip: Buffer;
    try {
      const res = await fetch(r.bill_download_url, { signal: AbortSignal.timeout(this.cfg.timeoutMs ?? 30_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      if (Number(res.headers.get('content-length') ?? 0) > MAX_BILL_ZIP_BYTES) throw new Error('the bill is larger than expected');
      zip = Buffer.from(await res.arrayBuffer());
      if (zip.length > MAX_BILL_ZIP_BYTES) throw new Error('the bill is larger than expected');
    } catch (e) {
      throw new ChannelUnavailableError('ALIPAY', `statement download failed: ${(e as Error).message}`, { cause: e });
    }
    // a zip of GBK CSVs: the detail, held to its summary (alipay-bill.ts)
    return readAlipayBill(zip);
  }
}
