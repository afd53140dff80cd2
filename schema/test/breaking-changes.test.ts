import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSchema } from 'graphql';
import { compareWithBaseline, formatBreakingReport } from '../src/breaking';
import { releaseChangelog, unreleasedRecords } from '../src/changelog';
import { breakingChangeCheck } from '../src/checks';
import { produceArtifacts } from '../src/compose';
import { CHANGELOG_PATH, release, RELEASED_DIR, releasedVersion } from '../src/released';

/** The repository's own Unreleased records, after the test's: the breaking changes the current schema really has stay recorded. */
const RECORDED = unreleasedRecords(readFileSync(CHANGELOG_PATH, 'utf8'))
  .records.map((r) => `- \`${r.coordinate}\`: ${r.reason}\n`)
  .join('');
const CHANGELOG = (unreleased: string) =>
  `# API schema changelog\n\n## Unreleased\n\n${unreleased}${RECORDED}\n## 0.1.0 — 2026-12-03\n\n- \`Old.gone\`: an older release's record\n`;

/** A copy of the released baseline whose Station (assets and API) still has `legacyCode`: the current schema "removed" it. */
function baselineWithLegacyField(changelog: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'schema-released-'));
  cpSync(RELEASED_DIR, dir, { recursive: true });
  for (const [file, type] of [
    ['assets.graphql', 'type Station @key(fields: "id") {'],
    ['api.graphql', 'type Station {'],
  ]) {
    const sdl = readFileSync(path.join(dir, file), 'utf8');
    expect(sdl).toContain(type);
    writeFileSync(path.join(dir, file), sdl.replace(type, `${type}\n  legacyCode: String`));
  }
  const changelogPath = path.join(dir, 'CHANGELOG.md');
  writeFileSync(changelogPath, changelog);
  return { releasedDir: dir, changelogPath };
}

describe('breaking changes against schema/released', () => {
  let art: Awaited<ReturnType<typeof produceArtifacts>>;
  beforeAll(async () => {
    art = await produceArtifacts();
  });

  it('the current schemas have no unrecorded breaking change since the released baseline', async () => {
    const out = await breakingChangeCheck(art);
    expect(out.lines.join('\n')).toContain(`no unrecorded breaking changes since the released schema ${releasedVersion()}`);
    expect(out.failed).toBe(false);
    expect(unreleasedRecords(readFileSync(CHANGELOG_PATH, 'utf8')).malformed).toEqual([]);
  });

  it('a removed field fails the check, named per schema, with the changelog line that would record it', async () => {
    const out = await breakingChangeCheck(art, baselineWithLegacyField(CHANGELOG('')));
    const text = out.lines.join('\n');
    expect(out.failed).toBe(true);
    expect(text).toContain("[assets] Station.legacyCode: Field 'legacyCode' was removed from object type 'Station'");
    expect(text).toContain("[api] Station.legacyCode: Field 'legacyCode' was removed from object type 'Station'");
    expect(text).toContain('record each under "## Unreleased" in schema/CHANGELOG.md');
    expect(text).toContain('  - `Station.legacyCode`: <why, and what clients do instead>');
  });

  it('a breaking change recorded under "## Unreleased" passes and is listed as recorded', async () => {
    const out = await breakingChangeCheck(art, baselineWithLegacyField(CHANGELOG('- `Station.legacyCode`: replaced by `Station.code` in 0.1\n')));
    expect(out.failed).toBe(false);
    expect(out.lines.filter((l) => l.startsWith('breaking, recorded (CHANGELOG.md:5): ') && l.includes('Station.legacyCode'))).toHaveLength(2);
  });

  it('a record under an older release does not excuse a new breaking change, and a malformed Unreleased line fails', async () => {
    const older = await breakingChangeCheck(art, baselineWithLegacyField(CHANGELOG('').replace('Old.gone', 'Station.legacyCode')));
    expect(older.failed).toBe(true);
    const malformed = await breakingChangeCheck(art, baselineWithLegacyField(CHANGELOG('- Station.legacyCode removed\n')));
    expect(malformed.failed).toBe(true);
    expect(malformed.lines).toContain('  - line 5: - Station.legacyCode removed');
  });

  it('dangerous changes are printed, not failed; argument and enum coordinates are named', async () => {
    const before = buildSchema('enum S { A B } type Query { s(x: Int, y: Int): S  t: Int }');
    const after = buildSchema('enum S { A B C } type Query { s(x: Int): S  t: Int }');
    const report = await compareWithBaseline([{ name: 'api', baseline: before, current: after }], []);
    expect(report.unrecorded.map((c) => c.coordinate)).toEqual(['Query.s.y']);
    expect(report.dangerous.map((c) => c.coordinate)).toEqual(['S.C']);
    const out = formatBreakingReport({ ...report, unrecorded: [] }, '9.9.9');
    expect(out.failed).toBe(false);
    expect(out.lines).toContain("dangerous (not failed): [api] S.C: Enum value 'C' was added to enum 'S'");
  });
});

describe('schema:release', () => {
  it('writes the baseline, refuses a version not after the released one, and closes Unreleased', async () => {
    const art = await produceArtifacts();
    const { releasedDir, changelogPath } = baselineWithLegacyField(CHANGELOG('- `Station.legacyCode`: replaced by `Station.code`\n'));
    expect(() => release(art, '0.1.0', '2026-12-04', releasedDir, changelogPath)).toThrow('release version 0.1.0 is not after the released 0.1.0');
    expect(() => release(art, 'next', '2026-12-04', releasedDir, changelogPath)).toThrow('is not a semantic version');
    release(art, '0.2.0', '2026-12-04', releasedDir, changelogPath);
    expect(releasedVersion(releasedDir)).toBe('0.2.0');
    expect(readFileSync(path.join(releasedDir, 'assets.graphql'), 'utf8')).toBe(art.subgraphs.find((s) => s.name === 'assets')!.sdl);
    const changelog = readFileSync(changelogPath, 'utf8');
    expect(changelog).toContain('## Unreleased\n\n## 0.2.0 — 2026-12-04\n\n- `Station.legacyCode`: replaced by `Station.code`');
    expect(unreleasedRecords(changelog).records).toEqual([]);
    // and the new baseline holds the current schema: nothing breaking any more
    expect((await breakingChangeCheck(art, { releasedDir, changelogPath })).failed).toBe(false);
  });

  it('releaseChangelog needs an Unreleased section', () => {
    expect(() => releaseChangelog('# nothing\n', '1.0.0', '2026-12-04')).toThrow('has no "## Unreleased" section');
  });
});
