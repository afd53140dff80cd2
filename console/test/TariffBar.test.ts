import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { createI18n } from 'vue-i18n';
import TariffBar from '../src/views/tariffs/TariffBar.vue';
import { PALETTE, type Segment } from '../src/views/tariffs/editor';
import * as tariffs from '../src/i18n/tariffs';

const seg = (start: string, end: string, energyPrice: string, serviceFee = '0.0000'): Segment => ({ start, end, energyPrice, serviceFee });
const i18n = () => createI18n({ legacy: false, locale: 'en', messages: { en: tariffs.en } });
const mountBar = (segments: Segment[]) => mount(TariffBar, { props: { segments, selection: null }, global: { plugins: [i18n()] }, attachTo: document.body });

describe('TariffBar', () => {
  it('shows 96 quarter-hours coloured by price, and marks gaps and overlaps where they are', () => {
    const bar = mountBar([seg('00:00', '08:00', '0.5000'), seg('07:00', '12:00', '1.0000'), seg('13:00', '24:00', '2.0000')]);
    const slots = bar.findAll('[data-slot]');
    expect(slots).toHaveLength(96);
    expect(slots[0].attributes('data-state')).toBe('ok');
    expect(slots[0].attributes('style')).toContain(PALETTE[0]);
    expect(slots[95].attributes('style')).toContain(PALETTE[PALETTE.length - 1]);
    expect(slots.slice(28, 32).map((s) => s.attributes('data-state'))).toEqual(['overlap', 'overlap', 'overlap', 'overlap']);
    expect(slots[32].attributes('data-state')).toBe('ok');
    expect(slots.slice(48, 52).every((s) => s.attributes('data-state') === 'gap')).toBe(true);
    bar.unmount();
  });

  it('emits the range dragged across (pointer down, over other slots, up), backwards too', async () => {
    const bar = mountBar([seg('00:00', '24:00', '1.0000')]);
    const slot = (s: number) => bar.find(`[data-slot="${s}"]`);
    await slot(40).trigger('pointerdown');
    await slot(41).trigger('pointerenter');
    await slot(43).trigger('pointerenter');
    expect(bar.findAll('.bar__slot--selected').map((s) => s.attributes('data-slot'))).toEqual(['40', '41', '42', '43']);
    await slot(43).trigger('pointerup');
    await slot(10).trigger('pointerenter'); // no drag under way: nothing happens
    await slot(20).trigger('pointerdown');
    await slot(12).trigger('pointerenter');
    window.dispatchEvent(new Event('pointerup')); // released outside the bar
    expect(bar.emitted('select')).toEqual([[{ from: 40, to: 44 }], [{ from: 12, to: 21 }]]);
    bar.unmount();
  });
});
