import { cardStartReply, cardStartRequest } from '../../../src/ykc/messages';
import { expectGolden, GUN, PILE, SERIAL } from '../golden';

describe('YKC card start 0x31/0x32', () => {
  it('0x31 card start request: a card, no password', () =>
    expectGolden(cardStartRequest, '6837010000315503141278230501010000000000A1B2C3D4000000000000000000000000000000004C53564155323138304E32313833323934FBD8', {
      pileNo: PILE,
      gunNo: GUN,
      startMode: 1,
      needsPassword: false,
      card: Buffer.from('00000000A1B2C3D4', 'hex'),
      password: Buffer.alloc(16),
      vin: 'LSVAU2180N2183294',
    }));
  it('0x31 card start request: by VIN, with a password (MD5)', () =>
    expectGolden(cardStartRequest, '683701000031550314127823050103010000000000000000E10ADC3949BA59ABBE56E057F20F883E4C53564155323138304E32313833323934F470', {
      pileNo: PILE,
      gunNo: GUN,
      startMode: 3,
      needsPassword: true,
      card: Buffer.alloc(8),
      password: Buffer.from('e10adc3949ba59abbe56e057f20f883e', 'hex'),
      vin: 'LSVAU2180N2183294',
    }));
  it('0x32 reply: authorised, with the serial the platform issued and the balance the card may spend', () =>
    expectGolden(cardStartReply, '682A010000325503141278230501240315103045000155031412782305010000001000000001204E00000100E155', {
      serial: SERIAL,
      pileNo: PILE,
      gunNo: GUN,
      logicalCard: '0000001000000001',
      balanceX100: 20_000,
      authorised: true,
      reason: 0,
    }));
  it('0x32 reply: refused, account frozen', () =>
    expectGolden(cardStartReply, '682A0100003255031412782305012403151030450001550314127823050100000000000000000000000000024A6A', {
      serial: SERIAL,
      pileNo: PILE,
      gunNo: GUN,
      logicalCard: '0000000000000000',
      balanceX100: 0,
      authorised: false,
      reason: 2,
    }));
});
