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
  // Colours mid-transition (a radio button just clicked fades to its checked fill) are not what a
  // person reads: contrast is judged once the page's animations and transitions have finished.
  // (Endless ones, a loading spinner's, are not waited for.)
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => Number.isFinite(Number(a.effect?.getComputedTiming().endTime ?? Infinity)))
        .map((a) => a.finished.catch(() => undefined)),
    ),
  );
  await page.addScriptTag({ content: axe.source });
  const results = await page.evaluate(() => (window as unknown as { axe: typeof axe }).axe.run(document));
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
