import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createAlipaySandbox } from './alipay';
import { createWechatPaySandbox } from './wechatpay';

export interface RunningPaySandboxes {
  alipayUrl: string;
  wechatPayUrl: string;
  /** environment for the payments subgraph: endpoints and the credential files */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Default ports for `npm start`; tests pass 0. */
export const PAY_SANDBOX_PORTS = { alipay: 4201, wechatpay: 4202 } as const;

/**
 * Start both sandboxes (fresh keys every start) and write the merchant side's
 * credentials as JSON files under `dir` (mode 0600; `.cache/` is never committed),
 * in the format the payments subgraph reads from ALIPAY_CONFIG_FILE / WECHATPAY_CONFIG_FILE.
 */
export async function startPaySandboxes(o: {
  dir: string;
  ports?: { alipay: number; wechatpay: number };
  removeOnStop?: boolean;
  /** see AlipaySandboxOptions.notifyCa (both sandboxes) */
  notifyCa?: string;
}): Promise<RunningPaySandboxes> {
  const ports = o.ports ?? PAY_SANDBOX_PORTS;
  const alipay = createAlipaySandbox({ notifyCa: o.notifyCa });
  const wechat = createWechatPaySandbox({ notifyCa: o.notifyCa });
  const alipayUrl = await alipay.start(ports.alipay);
  let wechatPayUrl: string;
  try {
    wechatPayUrl = await wechat.start(ports.wechatpay);
  } catch (e) {
    await alipay.stop();
    throw e;
  }
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const alipayFile = path.join(o.dir, 'alipay.json');
  const wechatFile = path.join(o.dir, 'wechatpay.json');
  writeFileSync(alipayFile, JSON.stringify(alipay.credentials, null, 2), { mode: 0o600 });
  writeFileSync(wechatFile, JSON.stringify(wechat.credentials, null, 2), { mode: 0o600 });
  return {
    alipayUrl,
    wechatPayUrl,
    env: { ALIPAY_CONFIG_FILE: alipayFile, ALIPAY_GATEWAY_URL: `${alipayUrl}/gateway.do`, WECHATPAY_CONFIG_FILE: wechatFile, WECHATPAY_BASE_URL: wechatPayUrl },
    stop: async () => {
      await Promise.allSettled([alipay.stop(), wechat.stop()]);
      if (o.removeOnStop) rmSync(o.dir, { recursive: true, force: true });
    },
  };
}
