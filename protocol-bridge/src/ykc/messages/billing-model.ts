/**
 * The billing-model body shared by 0x0A (reply to a request) and 0x58 (pushed by the platform):
 *   pile BCD7 | modelNo BCD2 | 4 × (electricity u32, service u32) for tiers 尖/峰/平/谷 (yuan ×10^5)
 *   | lossRatio u8 (%) | 48 × tier u8 (0..3), one per half hour from 00:00
 */
import { BodyReader, BodyWriter, YkcDecodeError } from '../codec';
import { PILE_BYTES } from './types';

/** One price tier; amounts in 10^-5 yuan per kWh (integers, never floats). */
export interface PriceTier {
  electricity: number;
  service: number;
}

export interface BillingModel {
  pileNo: string;
  modelNo: string;
  /** Exactly 4: sharp, peak, flat, valley. */
  tiers: [PriceTier, PriceTier, PriceTier, PriceTier];
  lossRatio: number;
  /** 48 half-hour slots from 00:00, each a tier index 0..3. */
  slots: number[];
}

export function decodeBillingModel(body: Buffer): BillingModel {
  const r = new BodyReader(body);
  const pileNo = r.bcd(PILE_BYTES);
  const modelNo = r.bcd(2);
  const tier = (): PriceTier => ({ electricity: r.u32(), service: r.u32() });
  const tiers: BillingModel['tiers'] = [tier(), tier(), tier(), tier()];
  const lossRatio = r.u8();
  const slots = [...r.bytes(48)];
  r.end();
  if (slots.some((s) => s > 3)) throw new YkcDecodeError('billing model slot names a tier beyond 0..3');
  return { pileNo, modelNo, tiers, lossRatio, slots };
}

export function encodeBillingModel(m: BillingModel): Buffer {
  if (m.slots.length !== 48 || m.slots.some((s) => !Number.isInteger(s) || s < 0 || s > 3)) {
    throw new RangeError('a YKC billing model has 48 half-hour slots, each tier 0..3');
  }
  const w = new BodyWriter().bcd(m.pileNo, PILE_BYTES).bcd(m.modelNo, 2);
  for (const t of m.tiers) w.u32(t.electricity).u32(t.service);
  return w.u8(m.lossRatio).bytes(Buffer.from(m.slots), 48).build();
}
