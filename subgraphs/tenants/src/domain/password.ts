import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashing with scrypt (memory-hard), stored as a PHC-style string:
 *   $scrypt$ln=<log2 N>,r=<block size>,p=<parallelism>$<salt, base64>$<hash, base64>
 * Parameters travel with each hash, so they can be raised later and old hashes
 * still verify (and are re-hashed on the next successful login).
 */
export interface ScryptParams {
  /** log2 of the CPU/memory cost N */
  ln: number;
  r: number;
  p: number;
}

/** About 32 MiB and tens of milliseconds per hash. */
export const DEFAULT_SCRYPT: ScryptParams = { ln: 15, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Hashes from the database are still input: refuse parameters that would exhaust memory. */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,128})\$([A-Za-z0-9+/]{32,256})$/;

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

function derive(password: string, salt: Buffer, params: ScryptParams, keyLen: number): Promise<Buffer> {
  const N = 2 ** params.ln;
  const needed = 128 * N * params.r * params.p;
  return new Promise((resolve, reject) =>
    // maxmem: Node refuses when 128·N·r exceeds it (default 32 MiB, exactly our default need), so give headroom.
    scrypt(password.normalize('NFKC'), salt, keyLen, { N, r: params.r, p: params.p, maxmem: needed * 2 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

function parse(phc: string): ParsedHash | null {
  const m = PHC.exec(phc);
  if (!m) return null;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.ln < 10 || params.ln > 20 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) return null;
  if (128 * 2 ** params.ln * params.r * params.p > MAX_MEMORY_BYTES) return null;
  return { params, salt: Buffer.from(m[4], 'base64'), hash: Buffer.from(m[5], 'base64') };
}

export class PasswordHasher {
  private dummy?: Promise<string>;

  constructor(private readonly params: ScryptParams = DEFAULT_SCRYPT) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await derive(password, salt, this.params, KEY_BYTES);
    const { ln, r, p } = this.params;
    return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(key)}`;
  }

  /** Constant-time comparison; a malformed stored hash never verifies. */
  async verify(password: string, phc: string): Promise<boolean> {
    const parsed = parse(phc);
    if (!parsed) return false;
    const key = await derive(password, parsed.salt, parsed.params, parsed.hash.length);
    return key.length === parsed.hash.length && timingSafeEqual(key, parsed.hash);
  }

  /** True when the stored hash used other parameters than the current ones. */
  needsRehash(phc: string): boolean {
    const parsed = parse(phc);
    if (!parsed) return true;
    const { ln, r, p } = parsed.params;
    return ln !== this.params.ln || r !== this.params.r || p !== this.params.p || parsed.hash.length !== KEY_BYTES;
  }

  /**
   * Spend what a real verification costs, for logins whose user doesn't exist,
   * so response time doesn't tell which usernames exist.
   */
  async burn(password: string): Promise<void> {
    this.dummy ??= this.hash(randomBytes(18).toString('base64'));
    await this.verify(password, await this.dummy);
  }
}
