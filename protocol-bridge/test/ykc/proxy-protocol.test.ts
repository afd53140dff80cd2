import { mayBeProxyHeader, readProxyHeader } from '../../src/ykc/proxy-protocol';

// Golden bytes. v1 as nginx's stream proxy writes it (`proxy_protocol on;`); v2 as HAProxy's
// send-proxy-v2 does, built by hand from proxy-protocol.txt §2.2 (the addresses spelled out below).
const V1_TCP4 = Buffer.from('PROXY TCP4 192.0.2.10 198.51.100.1 51234 8767\r\n', 'latin1');
const V1_TCP6 = Buffer.from('PROXY TCP6 2001:db8::7 2001:db8::1 40000 8767\r\n', 'latin1');
const SIG = '0d0a0d0a000d0a515549540a';
// PROXY, TCP4, 12 bytes: 192.0.2.10 → 198.51.100.1, 51234 (c822) → 8767 (223f)
const V2_TCP4 = Buffer.from(`${SIG}2111000cc000020ac6336401c822223f`, 'hex');
// PROXY, TCP6, 36 bytes: 2001:db8::7 → 2001:db8::1, 40000 (9c40) → 8767
const V2_TCP6 = Buffer.from(`${SIG}21210024${'20010db8000000000000000000000007'}${'20010db8000000000000000000000001'}9c40223f`, 'hex');
// LOCAL (the proxy's health check), UNSPEC, no addresses
const V2_LOCAL = Buffer.from(`${SIG}20000000`, 'hex');
// a YKC login frame's first bytes
const YKC = Buffer.from('6822000000015503141278230500', 'hex');

describe('PROXY protocol header', () => {
  it('v1 TCP4 and TCP6: the source address and port, and where the pile bytes start', () => {
    expect(readProxyHeader(Buffer.concat([V1_TCP4, YKC]))).toEqual({
      kind: 'header',
      version: 1,
      length: V1_TCP4.length,
      source: { address: '192.0.2.10', port: 51234 },
    });
    expect(readProxyHeader(V1_TCP6)).toEqual({ kind: 'header', version: 1, length: V1_TCP6.length, source: { address: '2001:db8::7', port: 40000 } });
  });

  it('v1 UNKNOWN: a header with no address', () => {
    const h = Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
    expect(readProxyHeader(h)).toEqual({ kind: 'header', version: 1, length: h.length });
  });

  it('v2 TCP4, TCP6 (compressed, as sockets report it) and LOCAL', () => {
    expect(readProxyHeader(Buffer.concat([V2_TCP4, YKC]))).toEqual({ kind: 'header', version: 2, length: 28, source: { address: '192.0.2.10', port: 51234 } });
    expect(readProxyHeader(V2_TCP6)).toEqual({ kind: 'header', version: 2, length: 52, source: { address: '2001:db8::7', port: 40000 } });
    expect(readProxyHeader(V2_LOCAL)).toEqual({ kind: 'header', version: 2, length: 16 });
  });

  it('v2 TLVs after the addresses are skipped with them', () => {
    // length 12 + a 4-byte TLV (type 0x04 NOOP, length 1, one byte)
    const withTlv = Buffer.from(`${SIG}21110010c000020ac6336401c822223f04000100`, 'hex');
    expect(readProxyHeader(withTlv)).toMatchObject({ kind: 'header', length: 32, source: { address: '192.0.2.10' } });
  });

  it('a header split anywhere is incomplete until its last byte', () => {
    for (const h of [V1_TCP4, V2_TCP4, V2_TCP6])
      for (let i = 1; i < h.length; i++) expect([h.length, i, readProxyHeader(h.subarray(0, i)).kind]).toEqual([h.length, i, 'incomplete']);
  });

  it('refuses malformed headers', () => {
    const bad = [
      'PROXY TCP4 192.0.2.10 198.51.100.1 51234\r\n',
      'PROXY TCP4 2001:db8::7 198.51.100.1 51234 8767\r\n',
      'PROXY TCP4 192.0.2.10 198.51.100.1 65536 8767\r\n',
      'PROXY TCP4 192.0.2.10 198.51.100.1 0123 8767\r\n',
      'PROXY UDP4 192.0.2.10 198.51.100.1 51234 8767\r\n',
      `PROXY TCP4 ${'1'.repeat(120)}`,
    ];
    for (const b of bad) expect([b, readProxyHeader(Buffer.from(b, 'latin1')).kind]).toEqual([b, 'invalid']);
    // v2: version 1, command 2, UDP family, truncated addresses, an oversized header
    for (const hex of [`${SIG}1111000c`, `${SIG}2211000c`, `${SIG}2112000c${'00'.repeat(12)}`, `${SIG}21110008${'00'.repeat(8)}`, `${SIG}2111ffff`])
      expect([hex, readProxyHeader(Buffer.from(hex, 'hex')).kind]).toEqual([hex, 'invalid']);
  });

  it('tells a header from YKC by its first byte', () => {
    expect(mayBeProxyHeader(YKC)).toBe(false);
    expect(readProxyHeader(YKC).kind).toBe('invalid');
    for (const h of [V1_TCP4, V2_TCP4]) expect(mayBeProxyHeader(h.subarray(0, 1))).toBe(true);
    expect(mayBeProxyHeader(Buffer.from('PROXX', 'latin1'))).toBe(false);
  });
});
