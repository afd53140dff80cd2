/**
 * The PROXY protocol header (HAProxy's proxy-protocol.txt) the edge's nginx stream server puts in
 * front of a YKC pile's bytes (`proxy_protocol on;`), so the bridge learns the pile's address:
 *
 *   v1 (text, at most 107 bytes):  "PROXY " ( "TCP4" | "TCP6" ) " " SRC " " DST " " SPORT " " DPORT "\r\n"
 *                                  | "PROXY UNKNOWN" [ anything ] "\r\n"
 *   v2 (binary):  SIG 12 = 0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A | VER_CMD u8 (0x20 LOCAL, 0x21 PROXY)
 *                 | FAM u8 (0x11 TCP4, 0x21 TCP6, 0x00 UNSPEC, …) | LEN u16 BE | ADDRESSES + TLVs (LEN)
 *                 TCP4 addresses: SRC 4 | DST 4 | SPORT 2 | DPORT 2; TCP6: SRC 16 | DST 16 | SPORT 2 | DPORT 2
 *
 * A YKC frame starts with 0x68, a PROXY header with "P" (v1) or 0x0D (v2): the first bytes tell
 * them apart. No npm parser is in the project's dependencies; this one reads only what the bridge
 * needs (the source address), and ignores TLVs.
 */
import net from 'node:net';

export const PROXY_V1_PREFIX = Buffer.from('PROXY ', 'latin1');
export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** The longest v1 line, CRLF included (the specification's bound). */
const V1_MAX = 107;
/** A v2 header's fixed part: signature, version/command, family, length. */
const V2_FIXED = 16;
/** Larger v2 headers are refused: the edge sends addresses and no TLVs (the specification suggests 536 as a read size). */
export const V2_MAX = 536;

/** Where the proxied connection came from; absent for LOCAL (a health check) and UNKNOWN. */
export interface ProxySource {
  address: string;
  port: number;
}

export type ProxyHeaderRead =
  /** More bytes are needed to decide. */
  | { kind: 'incomplete' }
  /** A whole header of `length` bytes; the connection's own bytes follow it. */
  | { kind: 'header'; version: 1 | 2; length: number; source?: ProxySource }
  | { kind: 'invalid'; reason: string };

/** Whether `buf` (the connection's first bytes) is, or may still become, a PROXY header of either version. */
export function mayBeProxyHeader(buf: Buffer): boolean {
  const agrees = (sig: Buffer) => buf.subarray(0, sig.length).equals(sig.subarray(0, Math.min(buf.length, sig.length)));
  return buf.length > 0 && (agrees(PROXY_V1_PREFIX) || agrees(PROXY_V2_SIGNATURE));
}

/** Reads a PROXY header (v1 or v2) at the start of `buf`. */
export function readProxyHeader(buf: Buffer): ProxyHeaderRead {
  if (!mayBeProxyHeader(buf)) return { kind: 'invalid', reason: 'not a PROXY protocol header' };
  if (buf[0] === PROXY_V2_SIGNATURE[0]) return readV2(buf);
  return readV1(buf);
}

function readV1(buf: Buffer): ProxyHeaderRead {
  const end = buf.subarray(0, V1_MAX).indexOf('\r\n');
  if (end < 0) return buf.length >= V1_MAX ? { kind: 'invalid', reason: 'v1 line longer than 107 bytes' } : { kind: 'incomplete' };
  const length = end + 2;
  const parts = buf.subarray(0, end).toString('latin1').split(' ');
  if (parts[1] === 'UNKNOWN') return { kind: 'header', version: 1, length };
  if (parts.length !== 6 || (parts[1] !== 'TCP4' && parts[1] !== 'TCP6'))
    return { kind: 'invalid', reason: 'v1: expected PROXY TCP4|TCP6 src dst sport dport' };
  const [, family, src, dst, sport, dport] = parts;
  const ipVersion = family === 'TCP4' ? 4 : 6;
  if (net.isIP(src) !== ipVersion || net.isIP(dst) !== ipVersion) return { kind: 'invalid', reason: `v1: addresses are not ${family}` };
  const port = v1Port(sport);
  if (port === null || v1Port(dport) === null) return { kind: 'invalid', reason: 'v1: bad port' };
  return { kind: 'header', version: 1, length, source: { address: src, port } };
}

/** A port as v1 writes it: decimal, no leading zero, 0-65535. */
function v1Port(text: string): number | null {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

function readV2(buf: Buffer): ProxyHeaderRead {
  if (buf.length < V2_FIXED) return { kind: 'incomplete' };
  const verCmd = buf[12];
  if (verCmd >> 4 !== 2) return { kind: 'invalid', reason: `v2: version ${verCmd >> 4}` };
  const command = verCmd & 0x0f;
  if (command > 1) return { kind: 'invalid', reason: `v2: command ${command}` };
  const family = buf[13];
  const length = V2_FIXED + buf.readUInt16BE(14);
  if (length > V2_MAX) return { kind: 'invalid', reason: `v2: header of ${length} bytes` };
  if (buf.length < length) return { kind: 'incomplete' };
  // LOCAL: the proxy's own connection (a health check); its address block, if any, means nothing
  if (command === 0) return { kind: 'header', version: 2, length };
  const body = buf.subarray(V2_FIXED, length);
  if (family === 0x11) {
    if (body.length < 12) return { kind: 'invalid', reason: 'v2: TCP4 addresses truncated' };
    return { kind: 'header', version: 2, length, source: { address: [...body.subarray(0, 4)].join('.'), port: body.readUInt16BE(8) } };
  }
  if (family === 0x21) {
    if (body.length < 36) return { kind: 'invalid', reason: 'v2: TCP6 addresses truncated' };
    return { kind: 'header', version: 2, length, source: { address: ipv6Text(body.subarray(0, 16)), port: body.readUInt16BE(32) } };
  }
  // UNSPEC or a family the bridge does not serve (UDP, unix): no address to take
  if (family === 0x00) return { kind: 'header', version: 2, length };
  return { kind: 'invalid', reason: `v2: family 0x${family.toString(16).padStart(2, '0')}` };
}

/** An IPv6 address in the form node's sockets report it (compressed, IPv4-mapped as ::ffff:a.b.c.d). */
function ipv6Text(bytes: Buffer): string {
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16)).join(':');
  // the WHATWG URL parser writes IPv6 hosts compressed (the longest zero run as "::")
  return new URL(`http://[${groups}]/`).hostname.slice(1, -1);
}
