import type { Fen } from './money';

export type ChannelName = 'ALIPAY' | 'WECHATPAY';
export type PaymentMethod = 'ALIPAY_APP' | 'ALIPAY_QR' | 'WECHAT_JSAPI' | 'WECHAT_NATIVE';

export const CHANNEL_OF: Record<PaymentMethod, ChannelName> = {
  ALIPAY_APP: 'ALIPAY',
  ALIPAY_QR: 'ALIPAY',
  WECHAT_JSAPI: 'WECHATPAY',
  WECHAT_NATIVE: 'WECHATPAY',
};

/** What the client needs to pay: exactly one of these is set, by method. */
export interface ClientParams {
  /** ALIPAY_QR / WECHAT_NATIVE: the QR code content */
  qrCodeUrl?: string;
  /** ALIPAY_APP: the signed order string handed to the Alipay SDK in the app */
  orderString?: string;
  /** WECHAT_JSAPI: the arguments of wx.requestPayment / WeixinJSBridge */
  jsapi?: { appId: string; timeStamp: string; nonceStr: string; package: string; signType: 'RSA'; paySign: string };
}

export interface CreateTradeRequest {
  outTradeNo: string;
  method: PaymentMethod;
  amount: Fen;
  description: string;
  notifyUrl: string;
  /** WECHAT_JSAPI only: the payer's openid for the merchant's appid */
  openId?: string;
}

/** The channel's view of a trade, normalised. */
export type ChannelTradeState = 'NOT_FOUND' | 'WAITING' | 'SUCCEEDED' | 'CLOSED' | 'FAILED';
export interface ChannelTrade {
  outTradeNo: string;
  state: ChannelTradeState;
  channelTradeNo: string | null;
  amount: Fen | null;
  paidAt: Date | null;
}

export interface RefundRequest {
  outTradeNo: string;
  outRefundNo: string;
  amount: Fen;
  /** the trade's total (WeChat Pay requires it) */
  total: Fen;
  reason: string;
  notifyUrl: string;
}
export type ChannelRefundState = 'PROCESSING' | 'SUCCEEDED' | 'FAILED' | 'NOT_FOUND';
export interface ChannelRefund {
  outRefundNo: string;
  state: ChannelRefundState;
  channelRefundNo: string | null;
  amount: Fen | null;
}

/** A notification whose signature (and, for WeChat Pay, encryption) has been verified. */
export type VerifiedNotification =
  | { kind: 'TRADE'; notifyId: string; outTradeNo: string; channelTradeNo: string | null; state: ChannelTradeState; amount: Fen; paidAt: Date | null }
  | { kind: 'REFUND'; notifyId: string; outTradeNo: string; outRefundNo: string; state: ChannelRefundState; amount: Fen }
  | { kind: 'IGNORED'; notifyId: string; reason: string };

/** One line of a channel's daily statement, normalised. */
export interface StatementLine {
  kind: 'PAYMENT' | 'REFUND';
  outTradeNo: string;
  outRefundNo: string | null;
  channelTradeNo: string;
  /** positive fen */
  amount: Fen;
  at: Date | null;
}

export interface InboundHttp {
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
}

/** A channel refused a request for a business reason: not retriable, shown to the user. */
export class ChannelRejectedError extends Error {
  readonly retriable = false;
  constructor(
    readonly channel: ChannelName,
    readonly channelCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'ChannelRejectedError';
  }
}
/** The channel could not be reached or answered something unusable (or unverifiable): a retry may help. */
export class ChannelUnavailableError extends Error {
  readonly retriable = true;
  constructor(
    readonly channel: ChannelName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ChannelUnavailableError';
  }
}
/** A notification that is forged, tampered with, stale or otherwise unverifiable. */
export class NotificationRejectedError extends Error {
  constructor(
    readonly channel: ChannelName,
    readonly reason: string,
  ) {
    super(`${channel} notification rejected: ${reason}`);
    this.name = 'NotificationRejectedError';
  }
}

/**
 * The port every payment channel implements. Implementations speak the channel's
 * real protocol; they never turn a channel error into a success.
 */
export interface PaymentChannel {
  readonly name: ChannelName;
  createTrade(req: CreateTradeRequest): Promise<ClientParams>;
  queryTrade(outTradeNo: string): Promise<ChannelTrade>;
  /** Close an unpaid trade so it can no longer be paid (expiry). */
  closeTrade(outTradeNo: string): Promise<void>;
  refund(req: RefundRequest): Promise<ChannelRefund>;
  queryRefund(outTradeNo: string, outRefundNo: string): Promise<ChannelRefund>;
  /** Verify (and decrypt) an inbound notification; throws NotificationRejectedError. */
  verifyNotification(msg: InboundHttp): Promise<VerifiedNotification>;
  /** The HTTP answer that stops the channel's retries. */
  readonly ack: { status: number; contentType: string; body: string };
  /** The statement of one Asia/Shanghai day (yyyy-MM-dd). */
  statement(date: string): Promise<StatementLine[]>;
}
