import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError, ErrorCodes, parseEnv } from '@evcs/platform';
import { AlipayChannel } from './channels/alipay';
import { ResilientChannel } from './channels/resilient';
import { WechatPayChannel } from './channels/wechatpay';
import type { ChannelName, PaymentChannel } from './domain/channel';

/**
 * Channel configuration. Keys never live in the environment itself, only the
 * paths of JSON files that hold them (mode 0600, never committed):
 *   ALIPAY_CONFIG_FILE     { appId, appPrivateKey, alipayPublicKey }
 *   WECHATPAY_CONFIG_FILE  { appId, mchId, merchantSerialNo, merchantPrivateKey, apiV3Key,
 *                            platformPublicKeyId, platformPublicKey }  (or platformKeys: { serial: pem })
 * and the endpoints: ALIPAY_GATEWAY_URL, WECHATPAY_BASE_URL (the sandboxes in development).
 * A channel without a config file is not offered.
 */
export const PaymentsEnv = z.object({
  ORDERS_URL: z
    .string()
    .url()
    .default('http://127.0.0.1:4004/graphql')
    .describe(
      'The orders subgraph itself (not the router: `orderForPayment` and `applyPaymentEvent` are @inaccessible there), asked for a payable order whose `order.completed` has not arrived yet, and handed each payment and refund success as it commits.',
    ),
  PAYMENTS_SIGNING_KEY_FILE: z
    .string({ required_error: "path to the payments service's private JWK (service tokens)" })
    .min(1)
    .describe('Private JWK the payments service signs its service tokens with (issuer `evcs-payments`).'),
  PAYMENTS_PUBLIC_URL: z
    .string()
    .url()
    .optional()
    .describe(
      'Base URL the payment channels reach this service at: their notifications go to `/notify/alipay` and `/notify/wechatpay` under it. Default `http://127.0.0.1:<PORT>`.',
    ),
  PAYMENTS_MERCHANT_TENANT_ID: z
    .string()
    .uuid()
    .optional()
    .describe('The tenant holding the merchant accounts: statement lines of unknown trades are its to review.'),
  ALIPAY_CONFIG_FILE: z
    .string()
    .min(1)
    .optional()
    .describe('JSON `{ appId, appPrivateKey, alipayPublicKey }` (mode 0600, never committed); without it Alipay is not offered.'),
  ALIPAY_GATEWAY_URL: z.string().url().default('https://openapi.alipay.com/gateway.do').describe('Alipay gateway (the sandbox under `npm start`).'),
  WECHATPAY_CONFIG_FILE: z
    .string()
    .min(1)
    .optional()
    .describe(
      'JSON `{ appId, mchId, merchantSerialNo, merchantPrivateKey, apiV3Key, platformPublicKeyId, platformPublicKey }` (public-key mode; or `platformKeys: { serial: pem }`; with neither, the platform certificates are fetched from `/v3/certificates` and refetched when WeChat Pay rotates them); without it WeChat Pay is not offered.',
    ),
  WECHATPAY_BASE_URL: z.string().url().default('https://api.mch.weixin.qq.com').describe('WeChat Pay API v3 base URL (the sandbox under `npm start`).'),
  PAYMENT_CHANNEL_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000).describe('Timeout of one call to a payment channel.'),
  PAYMENT_SETTLE_AFTER_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(60_000)
    .describe('Ask the channel about payments still open this long after creation (lost notifications).'),
  PAYMENT_SETTLE_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000).describe('How often the settle job runs.'),
  PAYMENT_STATEMENT_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(10 * 60_000)
    .describe('How often the daily statement job looks for days to reconcile.'),
  PAYMENT_EXPIRE_AFTER_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(30 * 60_000)
    .describe('Unpaid trades are closed at the channel this long after creation.'),
});
export type PaymentsEnv = z.infer<typeof PaymentsEnv>;

const AlipayFile = z.object({ appId: z.string().min(1), appPrivateKey: z.string().min(1), alipayPublicKey: z.string().min(1) });
const WechatFile = z.object({
  appId: z.string().min(1),
  mchId: z.string().min(1),
  merchantSerialNo: z.string().min(1),
  merchantPrivateKey: z.string().min(1),
  apiV3Key: z.string().length(32),
  platformPublicKeyId: z.string().optional(),
  platformPublicKey: z.string().optional(),
  platformKeys: z.record(z.string()).optional(),
});

function readJson<S extends z.ZodTypeAny>(file: string, schema: S): z.infer<S> {
  const parsed = schema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  // never echo the file's content: it holds keys
  if (!parsed.success)
    throw new AppError(ErrorCodes.INVALID_CONFIGURATION, `${file}: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')} missing or invalid`);
  return parsed.data as z.infer<S>;
}

export function channelsFromEnv(env: PaymentsEnv = parseEnv(PaymentsEnv)): Partial<Record<ChannelName, ResilientChannel>> {
  const out: Partial<Record<ChannelName, ResilientChannel>> = {};
  if (env.ALIPAY_CONFIG_FILE) {
    const c = readJson(env.ALIPAY_CONFIG_FILE, AlipayFile);
    out.ALIPAY = new ResilientChannel(new AlipayChannel({ ...c, gatewayUrl: env.ALIPAY_GATEWAY_URL, timeoutMs: env.PAYMENT_CHANNEL_TIMEOUT_MS }));
  }
  if (env.WECHATPAY_CONFIG_FILE) {
    const c = readJson(env.WECHATPAY_CONFIG_FILE, WechatFile);
    const platformKeys = {
      ...(c.platformKeys ?? {}),
      ...(c.platformPublicKeyId && c.platformPublicKey ? { [c.platformPublicKeyId]: c.platformPublicKey } : {}),
    };
    // no key configured: certificate mode, the platform certificates are fetched from /v3/certificates
    out.WECHATPAY = new ResilientChannel(
      new WechatPayChannel({
        appId: c.appId,
        mchId: c.mchId,
        merchantSerialNo: c.merchantSerialNo,
        merchantPrivateKey: c.merchantPrivateKey,
        apiV3Key: c.apiV3Key,
        platformKeys,
        baseUrl: env.WECHATPAY_BASE_URL,
        timeoutMs: env.PAYMENT_CHANNEL_TIMEOUT_MS,
      }),
    );
  }
  return out;
}

export type { PaymentChannel };
