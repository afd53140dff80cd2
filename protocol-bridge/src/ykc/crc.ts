/**
 * CRC-16/MODBUS: reflected polynomial 0xA001, init 0xFFFF, no final xor
 * (check value of "123456789" is 0x4B37). The YKC document names "0x180D", but
 * its own sample code is the Modbus table; real piles agree with the code.
 */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

export function crc16Modbus(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ data[i]) & 0xff];
  return crc;
}
