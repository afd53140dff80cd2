// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill first
import 'reflect-metadata';
import { createPrivateKey, KeyObject, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/** One WeChat Pay platform certificate: the serial the `Wechatpay-Serial` header names, its key and PEM. */
export interface PlatformCertificate {
  serialNo: string;
  privateKey: KeyObject;
  pem: string;
  effectiveAt: Date;
  expiresAt: Date;
}

const ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };

/**
 * A new platform certificate, as WeChat Pay issues them (RSA 2048, SHA256withRSA, a 40-hex-digit
 * serial, five years), self-signed here: the merchant trusts it because it arrives encrypted under
 * its APIv3 key, not because of its issuer.
 */
export async function newPlatformCertificate(mchId: string, now: Date): Promise<PlatformCertificate> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const serial = randomBytes(20);
  serial[0] = (serial[0] & 0x7f) | 0x10; // a positive INTEGER of a full 40 hex digits
  const expiresAt = new Date(now.getTime() + 5 * 365 * 86_400_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString('hex'),
      name: `CN=Tenpay.com Root CA sandbox platform ${mchId}, O=Tenpay.com, C=CN`,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: expiresAt,
      signingAlgorithm: ALG,
      keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    },
    webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1],
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    serialNo: serial.toString('hex').toUpperCase(),
    privateKey: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }),
    pem: cert.toString('pem'),
    effectiveAt: now,
    expiresAt,
  };
}
