import { createYkcCipher, decodePadded, parseDesKeyring } from '../../src/ykc/des';
import { encodeFrame, FrameReader } from '../../src/ykc/frame';
import { heartbeatReply, loginReply } from '../../src/ykc/messages';

// Golden values computed once with the OpenSSL 3.0 CLI, independently of this code:
//   printf '\x55\x03\x14\x12\x78\x23\x05\x00' | openssl enc -des-ede3 -K $K3 -nopad | xxd -p
const K3 = Buffer.from('0123456789abcdeffedcba987654321089abcdef01234567', 'hex');
const K2 = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
/** Login reply body of the document's example (pile 55031412782305, accepted): exactly one block. */
const LOGIN_REPLY_BODY = Buffer.from('5503141278230500', 'hex');
/** Heartbeat reply body (9 bytes), zero-padded to two blocks. */
const HEARTBEAT_REPLY_BODY = Buffer.from('550314127823050100', 'hex');

describe('YKC 3DES bodies', () => {
  it('encrypts with DES-EDE3-ECB as OpenSSL does (24-byte key)', () => {
    expect(createYkcCipher(K3).encrypt(LOGIN_REPLY_BODY).toString('hex')).toBe('9327a5922d0058ab');
  });

  it('zero-pads to 8-byte blocks', () => {
    // openssl enc -des-ede3 -nopad over 550314127823050100 followed by seven 0x00
    expect(createYkcCipher(K3).encrypt(HEARTBEAT_REPLY_BODY).toString('hex')).toBe('28ccee2f473591fb3fd539e3abeb8b5b');
  });

  it('takes a two-key (16-byte) key as DES-EDE', () => {
    // openssl enc -des-ede -K $K2 -nopad
    expect(createYkcCipher(K2).encrypt(LOGIN_REPLY_BODY).toString('hex')).toBe('185e88d4f9c43dc2');
  });

  it('chains blocks in cbc mode (zero IV)', () => {
    // openssl enc -des-ede3-cbc -K $K3 -iv 0000000000000000 -nopad: first block as ECB, second differs
    expect(createYkcCipher(K3, 'cbc').encrypt(HEARTBEAT_REPLY_BODY).toString('hex')).toBe('28ccee2f473591fb898bdb5d23f06c74');
  });

  it('decrypts back and drops only the padding, even when the body ends in zeros', () => {
    const c = createYkcCipher(K3);
    const opened = decodePadded(heartbeatReply.type, c.decrypt(c.encrypt(HEARTBEAT_REPLY_BODY)));
    expect(opened.body.equals(HEARTBEAT_REPLY_BODY)).toBe(true);
    expect(opened.message).toEqual({ pileNo: '55031412782305', gunNo: '01' });
  });

  it('refuses a ciphertext that is not whole blocks', () => {
    expect(() => createYkcCipher(K3).decrypt(Buffer.alloc(9))).toThrow(/8-byte blocks/);
  });

  it('a wrong key does not yield the message', () => {
    const sealed = createYkcCipher(K3).encrypt(LOGIN_REPLY_BODY);
    expect(() => decodePadded(loginReply.type, createYkcCipher(K2).decrypt(sealed))).toThrow();
  });
});

describe('encrypted YKC frame', () => {
  it('counts the ciphertext in LEN and computes the CRC over it (as sent)', () => {
    // CRC-16/MODBUS of 0000 01 02 9327a5922d0058ab computed with a separate Python implementation.
    const frame = encodeFrame(loginReply.type, Buffer.from([0, 0]), createYkcCipher(K3).encrypt(LOGIN_REPLY_BODY), 0x01);
    expect(frame.toString('hex')).toBe('680c000001029327a5922d0058abe0e7');
    const [r] = [...new FrameReader().push(frame)];
    if (!('frame' in r)) throw new Error(`not a frame: ${r.error.kind}`);
    expect(r.frame.encryption).toBe(1);
    expect(loginReply.decode(createYkcCipher(K3).decrypt(r.frame.body))).toEqual({ pileNo: '55031412782305', accepted: true });
  });
});

describe('3DES keyring file', () => {
  it('reads references and hex keys', () => {
    const ring = parseDesKeyring(JSON.stringify({ 'site-a:1': K3.toString('hex'), b: K2.toString('hex').toUpperCase() }));
    expect(ring.size).toBe(2);
    expect(ring.cipherFor('site-a:1')?.encrypt(LOGIN_REPLY_BODY).toString('hex')).toBe('9327a5922d0058ab');
    expect(ring.cipherFor('nope')).toBeUndefined();
  });

  it('reports a bad key by its reference, never the key', () => {
    const bad = 'abcdef0123456789abcdef01234567'; // 30 hex digits
    let message = '';
    try {
      parseDesKeyring(JSON.stringify({ pile7: bad }));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/pile7: a 3DES key is 32 or 48 hex digits/);
    expect(message).not.toContain(bad);
    expect(() => parseDesKeyring('not json')).toThrow(/not JSON/);
    expect(() => parseDesKeyring(JSON.stringify({ 'bad ref': K3.toString('hex') }))).toThrow(/key reference/);
  });
});
