import { createPublicKey, createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createAlipaySandbox, createWechatPaySandbox, AlipaySandbox, WechatPaySandbox } from '@evcs/pay-sandboxes';
import { eventually } from '@evcs/testkit';
import { AlipayChannel, ResilientChannel, WechatPayChannel } from '../src/channels';
import { ChannelRejectedError, ChannelUnavailableError, NotificationRejectedError, VerifiedNotification } from '../src/domain/channel';
import { shanghaiDate } from '../src/domain/time';
import { startReceiver } from './receiver';

const tradeNo = () => randomBytes(16).toString('hex');
const otherKey = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('Alipay channel against the Alipay sandbox (HTTP)', () => {
  let sb: AlipaySandbox;
  let gatewayUrl: string;
  let ch: AlipayChannel;
  const verified: VerifiedNotification[] = [];
  let rx: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    sb = createAlipaySandbox({ notifyScheduleMs: [50, 50, 50] });
    gatewayUrl = `${await sb.start(0)}/gateway.do`;
    ch = new AlipayChannel({ ...sb.credentials, gatewayUrl });
    rx = await startReceiver(async (m) => {
      verified.push(await ch.verifyNotification(m));
      return { status: 200, body: 'success' };
    });
  });
  afterAll(async () => {
    await sb.stop();
    await rx.stop();
  });

  it('precreates a QR trade, and a paid trade notifies with a verifiable signature', async () => {
    const no = tradeNo();
    const p = await ch.createTrade({ outTradeNo: no, method: 'ALIPAY_QR', amount: 1234, description: 'charging', notifyUrl: rx.url });
    expect(p.qrCodeUrl).toMatch(/^https:\/\/qr\.alipay\.com\//);
    expect(sb.trade(no)?.totalFen).toBe(1234);
    expect((await ch.queryTrade(no)).state).toBe('WAITING');
    sb.pay(no);
    const n = await eventually(async () => verified.find((v) => v.kind === 'TRADE' && v.outTradeNo === no));
    expect(n).toMatchObject({ kind: 'TRADE', state: 'SUCCEEDED', amount: 1234 });
    const q = await ch.queryTrade(no);
    expect(q).toMatchObject({ state: 'SUCCEEDED', amount: 1234 });
    expect(q.paidAt).toBeInstanceOf(Date);
    expect(sb.trade(no)?.notifications[0].acknowledged).toBe(true);
  });

  it('builds a signed APP order string the gateway accepts, and refuses a tampered one', async () => {
    const no = tradeNo();
    const { orderString } = await ch.createTrade({ outTradeNo: no, method: 'ALIPAY_APP', amount: 500, description: 'charging', notifyUrl: rx.url });
    const tampered = orderString!.replace(/total_amount%22%3A%225.00/, 'total_amount%22%3A%220.01');
    expect(tampered).not.toBe(orderString);
    expect((await fetch(`${sb.baseUrl()}/sandbox/app-pay`, { method: 'POST', body: tampered })).status).toBe(400);
    expect((await fetch(`${sb.baseUrl()}/sandbox/app-pay`, { method: 'POST', body: orderString })).status).toBe(200);
    expect(sb.trade(no)).toMatchObject({ product: 'APP', totalFen: 500 });
  });

  it('is refused by the gateway when signing with the wrong key', async () => {
    const before = sb.rejectedSignatures;
    const bad = new AlipayChannel({ ...sb.credentials, appPrivateKey: otherKey(), gatewayUrl });
    await expect(bad.queryTrade('x')).rejects.toMatchObject({ channelCode: 'isv.invalid-signature' });
    expect(sb.rejectedSignatures).toBe(before + 1);
  });

  it('refuses a response it cannot verify', async () => {
    const wrongAlipayKey = createPublicKey(otherKey()).export({ type: 'spki', format: 'pem' }).toString();
    const c = new AlipayChannel({ ...sb.credentials, alipayPublicKey: wrongAlipayKey, gatewayUrl });
    await expect(c.createTrade({ outTradeNo: tradeNo(), method: 'ALIPAY_QR', amount: 1, description: 'x', notifyUrl: rx.url })).rejects.toBeInstanceOf(
      ChannelUnavailableError,
    );
  });

  it('rejects forged and tampered notifications', async () => {
    const no = tradeNo();
    await ch.createTrade({ outTradeNo: no, method: 'ALIPAY_QR', amount: 800, description: 'charging', notifyUrl: rx.url });
    sb.pay(no);
    const real = await eventually(async () => rx.received.find((m) => m.rawBody.includes(no)));
    const tampered = real.rawBody.replace('total_amount=8.00', 'total_amount=0.01');
    await expect(ch.verifyNotification({ headers: {}, rawBody: tampered })).rejects.toBeInstanceOf(NotificationRejectedError);
    const params = Object.fromEntries(new URLSearchParams(real.rawBody).entries());
    params.sign = randomBytes(256).toString('base64');
    await expect(ch.verifyNotification({ headers: {}, rawBody: new URLSearchParams(params).toString() })).rejects.toBeInstanceOf(NotificationRejectedError);
  });

  it('refuses a genuine notification whose notify_time is stale or in the future (a captured one replayed later)', async () => {
    const no = tradeNo();
    await ch.createTrade({ outTradeNo: no, method: 'ALIPAY_QR', amount: 800, description: 'charging', notifyUrl: rx.url });
    sb.pay(no);
    const real = await eventually(async () => rx.received.find((m) => m.rawBody.includes(no)));
    await expect(ch.verifyNotification(real)).resolves.toMatchObject({ kind: 'TRADE', outTradeNo: no });
    const at = (offsetMs: number) => new AlipayChannel({ ...sb.credentials, gatewayUrl, now: () => new Date(Date.now() + offsetMs) });
    // the same signed notification, verified 2 hours later, and by a clock 10 minutes behind
    await expect(at(2 * 3600_000).verifyNotification(real)).rejects.toMatchObject({ reason: 'notify_time is stale' });
    await expect(at(-10 * 60_000).verifyNotification(real)).rejects.toMatchObject({ reason: 'notify_time is in the future' });
    // without notify_time it does not verify at all (it is signed with the rest)
    const params = Object.fromEntries(new URLSearchParams(real.rawBody).entries());
    delete params.notify_time;
    await expect(ch.verifyNotification({ headers: {}, rawBody: new URLSearchParams(params).toString() })).rejects.toBeInstanceOf(NotificationRejectedError);
  });

  it('reports an unknown trade as NOT_FOUND', async () => {
    expect((await ch.queryTrade(tradeNo())).state).toBe('NOT_FOUND');
  });

  it('refunds partially, idempotently by out_request_no, never above the paid amount; statement lists it all', async () => {
    const no = tradeNo();
    await ch.createTrade({ outTradeNo: no, method: 'ALIPAY_QR', amount: 1000, description: 'charging', notifyUrl: rx.url });
    sb.pay(no, { notify: false });
    const r1 = await ch.refund({ outTradeNo: no, outRefundNo: `R${no}1`, amount: 300, total: 1000, reason: 'test', notifyUrl: rx.url });
    expect(r1).toMatchObject({ state: 'SUCCEEDED', amount: 300 });
    expect(await ch.refund({ outTradeNo: no, outRefundNo: `R${no}1`, amount: 300, total: 1000, reason: 'test', notifyUrl: rx.url })).toMatchObject({
      state: 'SUCCEEDED',
    });
    await ch.refund({ outTradeNo: no, outRefundNo: `R${no}2`, amount: 700, total: 1000, reason: 'test', notifyUrl: rx.url });
    await expect(ch.refund({ outTradeNo: no, outRefundNo: `R${no}3`, amount: 1, total: 1000, reason: 'test', notifyUrl: rx.url })).rejects.toBeInstanceOf(
      ChannelRejectedError,
    );
    expect((await ch.queryRefund(no, `R${no}3`)).state).toBe('NOT_FOUND');
    const lines = await ch.statement(shanghaiDate(new Date()));
    const mine = lines.filter((l) => l.outTradeNo === no);
    expect(mine).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'PAYMENT', amount: 1000 }),
        expect.objectContaining({ kind: 'REFUND', amount: 300, outRefundNo: `R${no}1` }),
        expect.objectContaining({ kind: 'REFUND', amount: 700, outRefundNo: `R${no}2` }),
      ]),
    );
  });

  it('retries notifications on the schedule until answered `success`', async () => {
    let answers = 0;
    const flaky = await startReceiver(async () => ({ status: 200, body: ++answers < 3 ? 'fail' : 'success' }));
    try {
      const no = tradeNo();
      await ch.createTrade({ outTradeNo: no, method: 'ALIPAY_QR', amount: 100, description: 'x', notifyUrl: flaky.url });
      sb.pay(no);
      await eventually(async () => sb.trade(no)?.notifications[0].acknowledged);
      expect(sb.trade(no)?.notifications[0].attempts).toBe(3);
    } finally {
      await flaky.stop();
    }
  });
});

describe('WeChat Pay channel against the WeChat Pay sandbox (HTTP)', () => {
  let sb: WechatPaySandbox;
  let ch: WechatPayChannel;
  let cfg: ConstructorParameters<typeof WechatPayChannel>[0];
  const verified: VerifiedNotification[] = [];
  let rx: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    sb = createWechatPaySandbox({ notifyScheduleMs: [50, 50, 50], refundDelayMs: 50 });
    const baseUrl = await sb.start(0);
    const c = sb.credentials;
    cfg = {
      appId: c.appId,
      mchId: c.mchId,
      merchantSerialNo: c.merchantSerialNo,
      merchantPrivateKey: c.merchantPrivateKey,
      apiV3Key: c.apiV3Key,
      platformKeys: { [c.platformPublicKeyId]: c.platformPublicKey },
      baseUrl,
    };
    ch = new WechatPayChannel(cfg);
    rx = await startReceiver(async (m) => {
      verified.push(await ch.verifyNotification(m));
      return { status: 204, body: '' };
    });
  });
  afterAll(async () => {
    await sb.stop();
    await rx.stop();
  });

  it('creates a Native trade (code_url), a paid trade notifies, encrypted, verified and decrypted', async () => {
    const no = tradeNo();
    const p = await ch.createTrade({ outTradeNo: no, method: 'WECHAT_NATIVE', amount: 2500, description: 'charging', notifyUrl: rx.url });
    expect(p.qrCodeUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    sb.pay(no);
    const n = await eventually(async () => verified.find((v) => v.kind === 'TRADE' && v.outTradeNo === no));
    expect(n).toMatchObject({ state: 'SUCCEEDED', amount: 2500 });
    expect(await ch.queryTrade(no)).toMatchObject({ state: 'SUCCEEDED', amount: 2500 });
  });

  it('creates a JSAPI trade with a paySign that verifies with the merchant key', async () => {
    const { jsapi } = await ch.createTrade({
      outTradeNo: tradeNo(),
      method: 'WECHAT_JSAPI',
      amount: 100,
      description: 'x',
      notifyUrl: rx.url,
      openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    });
    expect(jsapi?.package).toMatch(/^prepay_id=wx/);
    const pub = createPublicKey(sb.credentials.merchantPrivateKey);
    const ok = createVerify('RSA-SHA256')
      .update(`${jsapi!.appId}\n${jsapi!.timeStamp}\n${jsapi!.nonceStr}\n${jsapi!.package}\n`)
      .verify(pub, jsapi!.paySign, 'base64');
    expect(ok).toBe(true);
  });

  it('is refused (SIGN_ERROR) with a wrong merchant key', async () => {
    const before = sb.rejectedSignatures;
    const bad = new WechatPayChannel({ ...cfg, merchantPrivateKey: otherKey() });
    await expect(bad.queryTrade(tradeNo())).rejects.toMatchObject({ channelCode: 'SIGN_ERROR' });
    expect(sb.rejectedSignatures).toBe(before + 1);
  });

  it('rejects responses and notifications signed by an unknown serial, stale, or tampered', async () => {
    const no = tradeNo();
    await ch.createTrade({ outTradeNo: no, method: 'WECHAT_NATIVE', amount: 300, description: 'x', notifyUrl: rx.url });
    // a success answer signed by a key we don't know is refused (error answers are not signed-checked, and only ever mean "no change")
    const noKey = new WechatPayChannel({ ...cfg, platformKeys: { PUB_KEY_ID_OTHER: sb.credentials.platformPublicKey } });
    await expect(noKey.queryTrade(no)).rejects.toBeInstanceOf(ChannelUnavailableError);
    const otherKey = new WechatPayChannel({
      ...cfg,
      platformKeys: {
        [sb.credentials.platformPublicKeyId]: createPublicKey(sb.credentials.merchantPrivateKey).export({ type: 'spki', format: 'pem' }).toString(),
      },
    });
    await expect(otherKey.queryTrade(no)).rejects.toBeInstanceOf(ChannelUnavailableError);
    sb.pay(no);
    const real = await eventually(async () => rx.received.find((m) => verified.some((v) => v.kind === 'TRADE' && v.outTradeNo === no) && m));
    const msg = rx.received[rx.received.length - 1] ?? real;
    const later = new WechatPayChannel({ ...cfg, now: () => new Date(Date.now() + 6 * 60_000) });
    await expect(later.verifyNotification(msg)).rejects.toMatchObject({ reason: 'stale or future timestamp' });
    await expect(ch.verifyNotification({ ...msg, rawBody: msg.rawBody.replace('"id":"', '"id":"x') })).rejects.toBeInstanceOf(NotificationRejectedError);
    const wrongKey = new WechatPayChannel({ ...cfg, apiV3Key: 'k'.repeat(32) });
    await expect(wrongKey.verifyNotification(msg)).rejects.toMatchObject({ reason: 'resource did not decrypt' });
  });

  it('failed and closed trades are seen by query', async () => {
    const a = tradeNo();
    const b = tradeNo();
    await ch.createTrade({ outTradeNo: a, method: 'WECHAT_NATIVE', amount: 100, description: 'x', notifyUrl: rx.url });
    await ch.createTrade({ outTradeNo: b, method: 'WECHAT_NATIVE', amount: 100, description: 'x', notifyUrl: rx.url });
    sb.fail(a);
    sb.close(b);
    expect((await ch.queryTrade(a)).state).toBe('FAILED');
    expect((await ch.queryTrade(b)).state).toBe('CLOSED');
    expect((await ch.queryTrade(tradeNo())).state).toBe('NOT_FOUND');
  });

  it('refunds: PROCESSING, then SUCCESS by notification and query; never above the paid amount; statement', async () => {
    const no = tradeNo();
    await ch.createTrade({ outTradeNo: no, method: 'WECHAT_NATIVE', amount: 1000, description: 'x', notifyUrl: rx.url });
    sb.pay(no, { notify: false });
    const r = await ch.refund({ outTradeNo: no, outRefundNo: `R${no.slice(0, 20)}a`, amount: 400, total: 1000, reason: 'test', notifyUrl: rx.url });
    expect(r.state).toBe('PROCESSING');
    await eventually(async () => verified.find((v) => v.kind === 'REFUND' && v.outRefundNo === `R${no.slice(0, 20)}a` && v.state === 'SUCCEEDED'));
    expect((await ch.queryRefund(no, `R${no.slice(0, 20)}a`)).state).toBe('SUCCEEDED');
    await expect(
      ch.refund({ outTradeNo: no, outRefundNo: `R${no.slice(0, 20)}b`, amount: 601, total: 1000, reason: 'test', notifyUrl: rx.url }),
    ).rejects.toBeInstanceOf(ChannelRejectedError);
    const lines = await ch.statement(shanghaiDate(new Date()));
    expect(lines.filter((l) => l.outTradeNo === no)).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'PAYMENT', amount: 1000 }), expect.objectContaining({ kind: 'REFUND', amount: 400 })]),
    );
  });

  it('the circuit breaker opens on a failing channel and stops calling it; queries are retried', async () => {
    const rc = new ResilientChannel(ch, { retries: 1, backoffMs: 10, volumeThreshold: 3, resetTimeoutMs: 60_000 });
    try {
      sb.setFault('http500');
      for (let i = 0; i < 3; i++)
        await expect(rc.createTrade({ outTradeNo: tradeNo(), method: 'WECHAT_NATIVE', amount: 1, description: 'x', notifyUrl: rx.url })).rejects.toBeInstanceOf(
          ChannelUnavailableError,
        );
      expect(rc.breaker.opened).toBe(true);
      sb.setFault('none');
      await expect(rc.queryTrade(tradeNo())).rejects.toThrow(/circuit open/);
    } finally {
      sb.setFault('none');
      rc.shutdown();
    }
  });

  it('a hanging channel times out', async () => {
    const slow = new WechatPayChannel({ ...cfg, timeoutMs: 200 });
    sb.setFault('hang');
    try {
      await expect(slow.queryTrade(tradeNo())).rejects.toBeInstanceOf(ChannelUnavailableError);
    } finally {
      sb.setFault('none');
    }
  });
});
