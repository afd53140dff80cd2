import CircuitBreaker from 'opossum';
import {
  ChannelRejectedError,
  ChannelUnavailableError,
  ClientParams,
  CreateTradeRequest,
  InboundHttp,
  PaymentChannel,
  RefundRequest,
  StatementLine,
  VerifiedNotification,
  ChannelRefund,
  ChannelTrade,
} from '../domain/channel';

export interface ResilienceOptions {
  /** retries of idempotent calls (queries, statements) after the first attempt */
  retries?: number;
  /** first backoff delay; doubles each retry, with jitter */
  backoffMs?: number;
  /** breaker: failure percentage within the rolling window that opens it */
  errorThresholdPercentage?: number;
  /** breaker: calls in the window before it may open */
  volumeThreshold?: number;
  /** breaker: how long it stays open before letting one trial call through */
  resetTimeoutMs?: number;
  rollingCountTimeoutMs?: number;
}

const DEFAULTS: Required<ResilienceOptions> = {
  retries: 2,
  backoffMs: 200,
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  resetTimeoutMs: 30_000,
  rollingCountTimeoutMs: 10_000,
};

/**
 * Wraps a channel with one circuit breaker (opossum) for all its calls, and
 * retries with exponential backoff for the idempotent ones only (queries,
 * statements). Creating trades and refunds are not retried here: the caller
 * repeats them with the same out_trade_no / out_refund_no, which the channels
 * make idempotent. Timeouts are the channel client's (AbortSignal.timeout).
 * Business rejections (ChannelRejectedError) neither open the breaker nor retry.
 */
export class ResilientChannel implements PaymentChannel {
  readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  private readonly o: Required<ResilienceOptions>;

  constructor(
    private readonly inner: PaymentChannel,
    opts: ResilienceOptions = {},
  ) {
    this.o = { ...DEFAULTS, ...opts };
    this.breaker = new CircuitBreaker((op: () => Promise<unknown>) => op(), {
      timeout: false, // the HTTP client's own timeout applies
      errorThresholdPercentage: this.o.errorThresholdPercentage,
      volumeThreshold: this.o.volumeThreshold,
      resetTimeout: this.o.resetTimeoutMs,
      rollingCountTimeout: this.o.rollingCountTimeoutMs,
      errorFilter: (e: unknown) => e instanceof ChannelRejectedError,
      name: inner.name,
    });
  }

  get name() {
    return this.inner.name;
  }
  get ack() {
    return this.inner.ack;
  }

  private async guarded<T>(op: () => Promise<T>): Promise<T> {
    try {
      return (await this.breaker.fire(op)) as T;
    } catch (e) {
      if (CircuitBreaker.isOurError(e as Error)) throw new ChannelUnavailableError(this.inner.name, `circuit open for ${this.inner.name}`, { cause: e });
      throw e;
    }
  }

  private async retried<T>(op: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.guarded(op);
      } catch (e) {
        const open = e instanceof ChannelUnavailableError && this.breaker.opened;
        if (!(e instanceof ChannelUnavailableError) || open || attempt >= this.o.retries) throw e;
        const delay = this.o.backoffMs * 2 ** attempt;
        await new Promise((r) => setTimeout(r, delay / 2 + Math.random() * (delay / 2)));
      }
    }
  }

  createTrade(req: CreateTradeRequest): Promise<ClientParams> {
    return this.guarded(() => this.inner.createTrade(req));
  }
  queryTrade(outTradeNo: string): Promise<ChannelTrade> {
    return this.retried(() => this.inner.queryTrade(outTradeNo));
  }
  closeTrade(outTradeNo: string): Promise<void> {
    // closing is idempotent at both channels
    return this.retried(() => this.inner.closeTrade(outTradeNo));
  }
  refund(req: RefundRequest): Promise<ChannelRefund> {
    return this.guarded(() => this.inner.refund(req));
  }
  queryRefund(outTradeNo: string, outRefundNo: string): Promise<ChannelRefund> {
    return this.retried(() => this.inner.queryRefund(outTradeNo, outRefundNo));
  }
  verifyNotification(msg: InboundHttp): Promise<VerifiedNotification> {
    // local cryptography: no breaker
    return this.inner.verifyNotification(msg);
  }
  statement(date: string): Promise<StatementLine[]> {
    return this.retried(() => this.inner.statement(date));
  }
  shutdown(): void {
    this.breaker.shutdown();
  }
}
