/**
 * 3DES over YKC bodies (ENC = 0x01) and the bridge's keyring.
 *
 * The protocol only says "0x01: 3DES over the message body"; it fixes neither
 * mode nor padding. The bridge's default is the one used in this field:
 * DES-EDE3 in ECB mode, a 16-byte (two-key) or 24-byte (three-key) key, the
 * body zero-padded to 8-byte blocks. LEN counts the ciphertext and the CRC
 * covers the frame as sent (over the ciphertext), as the document says for
 * LEN ("加密时为加密后数据长度"). `cbc` (zero IV) is there for piles that chain.
 *
 * Zero padding is ambiguous for a body that ends in zeros: YKC bodies have a
 * fixed length per message type, so the decoder tries the longest body that
 * parses (see decodePadded).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { YkcDecodeError } from './codec';
import { decodeMessage } from './messages';

export const DES_MODES = ['ecb', 'cbc'] as const;
export type DesMode = (typeof DES_MODES)[number];

const BLOCK = 8;

export interface YkcCipher {
  encrypt(plain: Buffer): Buffer;
  /** Throws YkcDecodeError on a body that is not whole blocks. */
  decrypt(cipherText: Buffer): Buffer;
}

function algorithm(key: Buffer, mode: DesMode): string {
  const base = key.length === 16 ? 'des-ede' : 'des-ede3';
  return `${base}-${mode}`;
}

export function createYkcCipher(key: Buffer, mode: DesMode = 'ecb'): YkcCipher {
  if (key.length !== 16 && key.length !== 24) throw new RangeError('a 3DES key is 16 or 24 bytes');
  const alg = algorithm(key, mode);
  const iv = mode === 'ecb' ? null : Buffer.alloc(BLOCK);
  const run = (c: ReturnType<typeof createCipheriv>, data: Buffer) => {
    c.setAutoPadding(false);
    return Buffer.concat([c.update(data), c.final()]);
  };
  return {
    encrypt(plain) {
      const padded = Buffer.alloc(Math.ceil(plain.length / BLOCK) * BLOCK);
      plain.copy(padded);
      return run(createCipheriv(alg, key, iv), padded);
    },
    decrypt(cipherText) {
      if (cipherText.length === 0 || cipherText.length % BLOCK !== 0)
        throw new YkcDecodeError(`3DES body of ${cipherText.length} bytes is not whole 8-byte blocks`);
      return run(createDecipheriv(alg, key, iv), cipherText);
    },
  };
}

/** Decode a decrypted, zero-padded body: the longest prefix (dropping only padding zeros) that parses. */
export function decodePadded(type: number, plain: Buffer): { name: string; message: unknown; body: Buffer } {
  let last: unknown;
  for (let len = plain.length; len >= Math.max(0, plain.length - (BLOCK - 1)); len--) {
    if (len < plain.length && plain[len] !== 0) break;
    try {
      const body = plain.subarray(0, len);
      return { ...decodeMessage(type, body), body };
    } catch (e) {
      if (!(e instanceof YkcDecodeError)) throw e;
      last = e;
    }
  }
  throw last;
}

/** Piles' keys by the reference their registration names (`desKeyRef`). Keys never leave it. */
export interface DesKeyring {
  cipherFor(ref: string): YkcCipher | undefined;
  /** Every (reference, cipher): an encrypted login is tried against each to find its pile. */
  entries(): Iterable<[string, YkcCipher]>;
  readonly size: number;
}

/** Same reference syntax as assets accepts for `desKeyRef`. */
const KeyringFile = z.record(
  z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'a key reference is 1..64 letters, digits, _ . : -'),
  z.string().regex(/^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{48})$/, 'a 3DES key is 32 or 48 hex digits (16 or 24 bytes)'),
);

export function desKeyring(keys: Record<string, Buffer>, mode: DesMode = 'ecb'): DesKeyring {
  const ciphers = new Map(Object.entries(keys).map(([ref, key]) => [ref, createYkcCipher(key, mode)] as const));
  return {
    cipherFor: (ref) => ciphers.get(ref),
    entries: () => ciphers.entries(),
    get size() {
      return ciphers.size;
    },
  };
}

export const EMPTY_KEYRING: DesKeyring = desKeyring({});

/**
 * Parse the keyring file (JSON `{ "<ref>": "<hex key>" }`). Errors name the
 * reference, never the key.
 */
export function parseDesKeyring(json: string, mode: DesMode = 'ecb'): DesKeyring {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('YKC 3DES keyring: not JSON');
  }
  const parsed = KeyringFile.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
    throw new Error(`YKC 3DES keyring: ${problems.join('; ')}`);
  }
  return desKeyring(Object.fromEntries(Object.entries(parsed.data).map(([ref, hex]) => [ref, Buffer.from(hex, 'hex')])), mode);
}

export async function loadDesKeyring(file: string | undefined, mode: DesMode = 'ecb'): Promise<DesKeyring> {
  return file ? parseDesKeyring(await readFile(file, 'utf8'), mode) : EMPTY_KEYRING;
}
