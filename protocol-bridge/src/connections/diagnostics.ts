import { counter } from '@evcs/platform';

/**
 * What operators look at when a charger misbehaves: protocol error counts by
 * kind (Prometheus, evcs_bridge_protocol_events_total), and the last frames each
 * charger exchanged (raw hex and decoded, in memory per bridge instance, bounded).
 */

export type Protocol = 'OCPP16' | 'YKC';

export interface FrameRecord {
  at: string;
  direction: 'IN' | 'OUT';
  protocol: Protocol;
  /** The bytes on the wire, hex. */
  hex: string;
  /** JSON for OCPP; the decoded message (or the error) for YKC. */
  decoded: unknown;
}

const protocolEvents = counter<'protocol' | 'kind'>({
  name: 'evcs_bridge_protocol_events_total',
  help: 'Protocol errors and notable events, by protocol and kind (bad_crc, FormationViolation, refused_wrong_password, …)',
  labelNames: ['protocol', 'kind'],
});

/**
 * The protocol error counts, on the process's metrics registry. Kinds are bounded sets
 * named in code (and the protocols' own error codes), never anything a charger chose.
 */
export class ProtocolMetrics {
  /** e.g. count('YKC', 'bad_crc'), count('OCPP16', 'FormationViolation'). */
  count(protocol: Protocol, kind: string, n = 1): void {
    protocolEvents.inc({ protocol, kind }, n);
  }

  /** The count of one kind in this process. */
  async get(protocol: Protocol, kind: string): Promise<number> {
    return (await this.snapshot()).find((e) => e.protocol === protocol && e.kind === kind)?.count ?? 0;
  }

  async snapshot(): Promise<{ protocol: Protocol; kind: string; count: number }[]> {
    const { values } = await protocolEvents.get();
    return values.map((v) => ({ protocol: v.labels.protocol as Protocol, kind: String(v.labels.kind), count: v.value }));
  }
}

/**
 * An OCPP frame as kept: its text and time only. Hex and decoded JSON are made when someone
 * reads the log — making them for every frame was a JSON.parse, a hex string and three
 * objects per message, and ~0.5 KB per kept frame (20,000 chargers × 50 frames).
 */
interface TextFrame {
  atMs: number;
  direction: 'IN' | 'OUT';
  text: string;
}

function materialize(f: FrameRecord | TextFrame): FrameRecord {
  if (!('text' in f)) return f;
  let decoded: unknown;
  try {
    decoded = JSON.parse(f.text);
  } catch {
    decoded = { error: 'not JSON' };
  }
  return { at: new Date(f.atMs).toISOString(), direction: f.direction, protocol: 'OCPP16', hex: Buffer.from(f.text).toString('hex'), decoded };
}

export class FrameLog {
  private readonly byCharger = new Map<string, (FrameRecord | TextFrame)[]>();

  constructor(
    private readonly perCharger = 50,
    private readonly maxChargers = 20_000,
  ) {}

  /** An OCPP-J frame (text), decoded only when read. */
  addOcpp(chargerId: string, atMs: number, direction: 'IN' | 'OUT', text: string): void {
    this.add(chargerId, { atMs, direction, text });
  }

  add(chargerId: string, record: FrameRecord | TextFrame): void {
    let list = this.byCharger.get(chargerId);
    if (!list) {
      if (this.byCharger.size >= this.maxChargers) {
        const oldest = this.byCharger.keys().next();
        if (!oldest.done) this.byCharger.delete(oldest.value);
      }
      list = [];
      this.byCharger.set(chargerId, list);
    }
    list.push(record);
    if (list.length > this.perCharger) list.splice(0, list.length - this.perCharger);
  }

  /** Newest last. */
  last(chargerId: string, n = this.perCharger): FrameRecord[] {
    return (this.byCharger.get(chargerId) ?? []).slice(-n).map(materialize);
  }
}

export class Diagnostics {
  constructor(
    readonly metrics = new ProtocolMetrics(),
    readonly frames = new FrameLog(),
  ) {}
}
