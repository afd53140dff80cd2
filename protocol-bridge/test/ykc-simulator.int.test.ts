import net from 'node:net';
import { SimulatedYkcPile } from '../src/simulator/ykc-pile';
import { encodeFrame, FrameReader, YkcFrame } from '../src/ykc/frame';
import {
  decodeMessage,
  RealTimeData,
  remoteStart,
  remoteStop,
  setBillingModel,
  TransactionRecord,
  transactionRecordConfirm,
  YkcMessage,
} from '../src/ykc/messages';

/**
 * The simulated pile against a bare TCP "platform" (this test), so what it sends is what a
 * pile following the document sends: it refuses a start on 0.00 and still records it, bills
 * with the model it was given, reports energy and amount so far in 0x13, stops on 0x36 with
 * 0x35 and a 0x3B it resends until 0x40 confirms it.
 */
describe('simulated YKC pile: behaves like a pile (real TCP)', () => {
  const PILE = '32010000000777';
  let server: net.Server;
  let platform: net.Socket;
  let pile: SimulatedYkcPile;
  const frames: YkcFrame[] = [];
  const waiting: { type: number; after: number; resolve: (f: YkcFrame) => void }[] = [];

  const onFrame = (f: YkcFrame) => {
    frames.push(f);
    for (const w of [...waiting]) {
      if (w.type === f.type && frames.length > w.after) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(f);
      }
    }
  };
  /** The next frame of `type` the pile sends after now. */
  const next = (type: number, timeoutMs = 3000): Promise<{ frame: YkcFrame; message: unknown }> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no 0x${type.toString(16)} from the pile`)), timeoutMs);
      waiting.push({
        type,
        after: frames.length,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve({ frame, message: decodeMessage(frame.type, frame.body).message });
        },
      });
    });
  const send = <T>(codec: YkcMessage<T>, m: T) => platform.write(encodeFrame(codec.type, Buffer.from([1, 0]), codec.encode(m)));
  const serial = (n: number) => `${PILE}01261124180000${String(n).padStart(4, '0')}`;

  beforeAll(async () => {
    const connected = new Promise<net.Socket>((resolve) => {
      server = net.createServer((s) => {
        const reader = new FrameReader();
        s.on('data', (chunk: Buffer) => {
          for (const r of reader.push(chunk)) if ('frame' in r) onFrame(r.frame);
        });
        resolve(s);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    pile = new SimulatedYkcPile({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, pileNo: PILE, replyTimeoutMs: 300 });
    await pile.connect();
    platform = await connected;
  });
  afterAll(async () => {
    await pile?.close();
    platform?.destroy();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('refuses to start on 0.00 and sends a record without energy for it', async () => {
    const reply = next(0x33);
    const record = next(0x3b);
    send(remoteStart, { serial: serial(1), pileNo: PILE, gunNo: '01', logicalCard: '0', physicalCard: '0', balanceX100: 0 });
    expect((await reply).message).toMatchObject({ serial: serial(1), started: false });
    const r = (await record).message as TransactionRecord;
    expect(r).toMatchObject({ serial: serial(1), totalEnergyX1e4: 0, totalAmountX1e4: 0, meterStopX1e4: r.meterStartX1e4 });
    send(transactionRecordConfirm, { serial: serial(1), accepted: true });
    expect(pile.isCharging(1)).toBe(false);
  });

  it('bills with the model it was given, reports so far in 0x13, stops on 0x36 and resends its record until 0x40', async () => {
    // every half hour in tier 1 (峰) at 0.80 + 0.40 per kWh
    const applied = next(0x57);
    send(setBillingModel, {
      pileNo: PILE,
      modelNo: '0102',
      tiers: [
        { electricity: 150_000, service: 50_000 },
        { electricity: 80_000, service: 40_000 },
        { electricity: 60_000, service: 30_000 },
        { electricity: 30_000, service: 20_000 },
      ],
      lossRatio: 0,
      slots: Array(48).fill(1),
    });
    expect((await applied).message).toEqual({ pileNo: PILE, applied: true });

    const reply = next(0x33);
    send(remoteStart, { serial: serial(2), pileNo: PILE, gunNo: '01', logicalCard: '0', physicalCard: '0', balanceX100: 5000 });
    expect((await reply).message).toMatchObject({ serial: serial(2), started: true });
    expect(pile.balances.get(serial(2))).toBe(5000);
    const meterStart = pile.meterRegisterX1e4;

    pile.charge(1, 12_340);
    const rt = next(0x13);
    pile.reportRealTime(1);
    // 1.234 kWh at 1.20: 1.4808
    expect((await rt).message as RealTimeData).toMatchObject({ serial: serial(2), status: 3, energyX1e4: 12_340, amountX1e4: 14_808 });

    const stopped = next(0x35);
    const first = next(0x3b);
    send(remoteStop, { pileNo: PILE, gunNo: '01' });
    expect((await stopped).message).toMatchObject({ gunNo: '01', stopped: true });
    const r = (await first).message as TransactionRecord;
    expect(r).toMatchObject({
      serial: serial(2),
      meterStartX1e4: meterStart,
      meterStopX1e4: meterStart + 12_340,
      totalEnergyX1e4: 12_340,
      totalAmountX1e4: 14_808,
      startType: 1,
    });
    expect(r.tiers.map((t) => [t.unitPriceX1e5, t.energyX1e4, t.amountX1e4])).toEqual([
      [200_000, 0, 0],
      [120_000, 12_340, 14_808],
      [90_000, 0, 0],
      [50_000, 0, 0],
    ]);
    expect(r.endedAt.getTime()).toBeGreaterThan(r.startedAt.getTime());
    // unconfirmed: the same record again
    const resent = (await next(0x3b)).message as TransactionRecord;
    expect(resent).toEqual(r);
    send(transactionRecordConfirm, { serial: serial(2), accepted: true });
    await new Promise((res) => setTimeout(res, 800));
    expect(frames.filter((f) => f.type === 0x3b && (decodeMessage(f.type, f.body).message as TransactionRecord).serial === serial(2))).toHaveLength(2);
    expect(pile.unconfirmed.has(serial(2))).toBe(false);
  });
});
