import { createSign, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createWechatPaySandbox, WechatPaySandbox } from '@evcs/pay-sandboxes';
import { eventually } from '@evcs/testkit';
import { ChannelUnavailableError, WechatPayChannel } from '../src';
import { CREATE, Harness, PAYMENT, startHarness } from './harness';

const key = () => `key-${randomUUID()}`;

/**
 * WeChat Pay's platform certificates: the sandbox in certificate mode signs with a certificate
 * it serves only encrypted under the APIv3 key (`GET /v3/certificates`), and rotates it during
 * the test; the channel starts without any platform key, fetches, decrypts and verifies them, and
 * refetches when an answer or a notification names a serial it doesn't hold.
 */
describe('WeChat Pay platform certificates: fetched, decrypted, rotated by serial (sandbox in certificate mode)', () => {
  let h: Harness;
  const tenant = randomUUID();
  let token: string;

  beforeAll(async () => {
    h = await startHarness({ wechat: { signWith: 'certificate' } });
    token = await h.token(tenant);
  });
  afterAll(() => h?.stop());

  /** A WECHAT_NATIVE payment, paid at the sandbox; its notification (signed with the current certificate) settles it. */
  async function payAndSettle(): Promise<{ id: string; outTradeNo: string }> {
    const orderId = await h.payableOrder(tenant, 990);
    const c = (await h.gql(CREATE, { token, variables: { i: { orderId, method: 'WECHAT_NATIVE', idempotencyKey: key() } } })).body.data.createPayment;
    expect(c.userErrors).toEqual([]);
    expect(c.payment.state).toBe('PAYING');
    h.wechat.pay(c.payment.outTradeNo);
    await eventually(async () => (await h.gql(PAYMENT, { token, variables: { id: c.payment.id } })).body.data.payment.state === 'SUCCEEDED', {
      what: 'the notification applied',
    });
    return c.payment;
  }

  it('fetches the certificates before its first call, then pays with answers and a notification signed by that certificate', async () => {
    expect(h.wechat.certificateDownloads).toBe(0);
    const first = h.wechat.signingSerial;
    expect(first).toMatch(/^[0-9A-F]{40}$/);
    await payAndSettle();
    expect(h.wechat.certificateDownloads).toBe(1);
    expect(h.wechat.trade((await payAndSettle()).outTradeNo)?.notifications[0]).toMatchObject({ acknowledged: true });
    expect(h.wechat.certificateDownloads).toBe(1);
  });

  it('WeChat Pay rotates its certificate: the next answer names the new serial, the channel refetches once and goes on', async () => {
    const before = h.wechat.certificateDownloads;
    const old = h.wechat.signingSerial;
    // past the harness's 2 s between downloads: a rotation is not a flood of unknown serials
    await new Promise((r) => setTimeout(r, 2_100));
    const rotated = await h.wechat.rotateCertificate();
    expect(rotated).not.toBe(old);
    expect(h.wechat.signingSerial).toBe(rotated);
    // the create answer and the notification are both signed with the new certificate
    await payAndSettle();
    expect(h.wechat.certificateDownloads).toBe(before + 1);
    await payAndSettle();
    expect(h.wechat.certificateDownloads).toBe(before + 1);
    expect(h.wechat.rejectedSignatures).toBe(0);
  });

  it('a notification signed with a serial nobody issued is refused, and forged serials cost at most one download per interval', async () => {
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const before = h.wechat.certificateDownloads;
    const rejected = h.srv.service.rejectedNotifications.WECHATPAY;
    for (let i = 0; i < 5; i++) {
      const body = JSON.stringify({
        id: randomUUID(),
        event_type: 'TRANSACTION.SUCCESS',
        resource: { algorithm: 'AEAD_AES_256_GCM', ciphertext: 'x', nonce: 'n' },
      });
      const ts = String(Math.floor(Date.now() / 1000));
      const nonce = randomBytes(16).toString('hex');
      const res = await fetch(`${h.baseUrl}/notify/wechatpay`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'wechatpay-timestamp': ts,
          'wechatpay-nonce': nonce,
          'wechatpay-serial': randomBytes(20).toString('hex').toUpperCase(),
          'wechatpay-signature': createSign('RSA-SHA256').update(`${ts}\n${nonce}\n${body}\n`).sign(attacker, 'base64'),
        },
        body,
      });
      expect(res.status).toBe(401);
    }
    expect(h.srv.service.rejectedNotifications.WECHATPAY).toBe(rejected + 5);
    expect(h.wechat.certificateDownloads - before).toBeLessThanOrEqual(1);
  });

  it('certificates that do not decrypt with our APIv3 key are never trusted: nothing is verified with them', async () => {
    const w = h.wechat.credentials;
    const wrongKey = new WechatPayChannel({
      appId: w.appId,
      mchId: w.mchId,
      merchantSerialNo: w.merchantSerialNo,
      merchantPrivateKey: w.merchantPrivateKey,
      apiV3Key: randomBytes(16).toString('hex'),
      platformKeys: {},
      baseUrl: h.wechat.baseUrl(),
      timeoutMs: 2000,
    });
    const query = wrongKey.queryTrade('nosuchtrade0001');
    await expect(query).rejects.toBeInstanceOf(ChannelUnavailableError);
    await expect(query).rejects.toThrow(/did not decrypt/);
    expect(wrongKey.knownSerials).toEqual([]);
  });
});

describe('WeChat Pay public-key mode (PUB_KEY_ID_…): a configured key, never downloaded', () => {
  let wx: WechatPaySandbox;
  beforeAll(async () => {
    wx = createWechatPaySandbox();
    await wx.start(0);
  });
  afterAll(() => wx?.stop());

  const trade = () => ({
    outTradeNo: randomBytes(16).toString('hex'),
    method: 'WECHAT_NATIVE' as const,
    amount: 100,
    description: 'EV charging',
    notifyUrl: 'http://127.0.0.1:9/notify/wechatpay',
  });
  const channel = (platformKeys: Record<string, string>) => new WechatPayChannel({ ...wx.credentials, platformKeys, baseUrl: wx.baseUrl(), timeoutMs: 2000 });

  it('verifies answers with the configured public key by its id, without asking for certificates', async () => {
    const c = channel({ [wx.credentials.platformPublicKeyId]: wx.credentials.platformPublicKey });
    expect(await c.createTrade(trade())).toMatchObject({ qrCodeUrl: expect.stringMatching(/^weixin:\/\//) });
    expect(wx.credentials.platformPublicKeyId).toMatch(/^PUB_KEY_ID_/);
    expect(wx.certificateDownloads).toBe(0);
  });

  it('an answer signed with a public key id we were not given is refused, and no certificate download is tried', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const c = channel({ PUB_KEY_ID_0114232134912410000000000000000000: other });
    await expect(c.createTrade(trade())).rejects.toThrow(/unknown serial PUB_KEY_ID_/);
    expect(wx.certificateDownloads).toBe(0);
  });
});
