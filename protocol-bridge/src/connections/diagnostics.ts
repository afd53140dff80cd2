/**
 * What operators look at when a charger misbehaves: protocol error counts by
 * kind, and the last frames each charger exchanged (raw hex and decoded).
 * In memory, per bridge instance, bounded.
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

export class ProtocolMetrics {
  private readonly counts = new Map<string, number>();

  /** e.g. count('YKC', 'bad_crc'), count('OCPP16', 'FormationViolation'). */
  count(protocol: Protocol, kind: string, n = 1): void {
    const key = `${protocol}\u0000${kind}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  get(protocol: Protocol, kind: string): number {
    return this.counts.get(`${protocol}\u0000${kind}`) ?? 0;
  }

  snapshot(): { protocol: Protocol; kind: string; count: number }[] {
    return [...this.counts].map(([k, count]) => {
      const [protocol, kind] = k.split('\u0000') as [Protocol, string];
      return { protocol, kind, count };
    });
  }
}

export class FrameLog {
  private readonly byCharger = new Map<string, FrameRecord[]>();

  constructor(
    private readonly perCharger = 50,
    private readonly maxChargers = 20_000,
  ) {}

  add(chargerId: string, record: FrameRecord): void {
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
    return (this.byCharger.get(chargerId) ?? []).slice(-n);
  }
}

export class Diagnostics {
  constructor(
    readonly metrics = new ProtocolMetrics(),
    readonly frames = new FrameLog(),
  ) {}
}
