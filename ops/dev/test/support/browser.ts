import path from 'node:path';
import axe from 'axe-core';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '@evcs/testkit';

/** Debian's chromium, installed by ops/chromium/install.sh (never a downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';
/** gitignored (.cache/): what the browser showed, for a person to look at */
export const SCREENSHOTS = path.join(REPO_ROOT, '.cache/screenshots/console');

/** axe-core in the page: the serious and critical violations (moderate and minor ones are not gated). */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Colours mid-transition (a toast fading in or out, a radio button fading to its checked fill)
  // are not what a person reads, and a transition can start while axe runs (a toast closes after
  // 3 s): from here on the page shows every state at once, and what was running is cancelled.
  await page.addStyleTag({ content: '*, *::before, *::after { transition: none !important; animation: none !important; }' });
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  await page.addScriptTag({ content: axe.source });
  const results = await page.evaluate(() => (window as unknown as { axe: typeof axe }).axe.run(document));
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
