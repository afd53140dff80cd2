import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { i18n } from '../src/i18n';

const SRC = path.resolve(__dirname, '../src');
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'gql' ? [] : files(path.join(dir, e.name))) : /\.(vue|ts)$/.test(e.name) ? [path.join(dir, e.name)] : [],
  );

/**
 * Every message key the sources name literally: `t('…')` / `$t('…')`, and the menus' `label:` /
 * `group:` keys that are passed to t() later. A key computed at run time (t(`x.${y}`)) is checked
 * through its prefix: the prefix must exist as a group.
 */
function keysInSources(): { keys: Map<string, string>; prefixes: Map<string, string> } {
  const keys = new Map<string, string>();
  const prefixes = new Map<string, string>();
  for (const f of files(SRC)) {
    const text = readFileSync(f, 'utf8');
    const where = path.relative(SRC, f);
    for (const m of text.matchAll(/\$?\bt\(\s*'([a-zA-Z][\w.]*)'/g)) keys.set(m[1], where);
    for (const m of text.matchAll(/\b(?:label|group): '([a-z][\w]*\.[\w.]+)'/g)) keys.set(m[1], where);
    for (const m of text.matchAll(/\$?\bt\(\s*`([a-zA-Z][\w.]*)\.\$\{/g)) prefixes.set(m[1], where);
  }
  return { keys, prefixes };
}

describe('the console speaks both its languages everywhere', () => {
  const { keys, prefixes } = keysInSources();
  it('finds the keys the sources use (the scan itself works)', () => {
    expect(keys.size).toBeGreaterThan(200);
    expect(keys.get('admin.audit.title')).toBeDefined();
    expect(prefixes.get('admin.audit.sources')).toBeDefined();
  });

  it.each(['zh-CN', 'en'] as const)('every key a screen uses has a %s message (no fallback, no raw key on screen)', (locale) => {
    const missing = [...keys].filter(([k]) => !i18n.global.te(k, locale)).map(([k, f]) => `${k} (${f})`);
    expect(missing).toEqual([]);
    const messages = i18n.global.getLocaleMessage(locale) as Record<string, unknown>;
    const group = (p: string) => p.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), messages);
    const missingGroups = [...prefixes].filter(([p]) => typeof group(p) !== 'object').map(([p, f]) => `${p}.* (${f})`);
    expect(missingGroups).toEqual([]);
  });
});
