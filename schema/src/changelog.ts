import { AppError, ErrorCodes } from '@evcs/platform';

/**
 * schema/CHANGELOG.md records the breaking changes a release makes on purpose. Under
 * `## Unreleased`, one line per schema coordinate:
 *
 *     - `Station.status`: replaced by `Station.state` (console ≥ 0.3 reads it)
 *
 * The coordinate is the path the check prints for the change (`Type`, `Type.field`,
 * `Type.field.argument`, `Enum.VALUE`); the reason is free text and must not be empty.
 * `npm run schema:release -- <version>` turns the section into `## <version> — <date>`.
 */
export const UNRELEASED = '## Unreleased';
const RECORD = /^- `([A-Za-z_][\w.]*)`: (\S.*)$/;

export interface ChangelogRecord {
  coordinate: string;
  reason: string;
  line: number;
}

/** The lines of the `## Unreleased` section; anything else there that starts with `- ` is malformed. */
export function unreleasedRecords(changelog: string): { records: ChangelogRecord[]; malformed: { line: number; text: string }[] } {
  const lines = changelog.split('\n');
  const start = lines.findIndex((l) => l.trim() === UNRELEASED);
  const records: ChangelogRecord[] = [];
  const malformed: { line: number; text: string }[] = [];
  if (start < 0) return { records, malformed };
  for (let i = start + 1; i < lines.length && !lines[i].startsWith('## '); i++) {
    const text = lines[i].trimEnd();
    if (!text.startsWith('- ')) continue;
    const m = RECORD.exec(text);
    if (m) records.push({ coordinate: m[1], reason: m[2], line: i + 1 });
    else malformed.push({ line: i + 1, text });
  }
  return { records, malformed };
}

/** The changelog after a release: `## Unreleased` becomes the version's section, a new empty one above it. */
export function releaseChangelog(changelog: string, version: string, date: string): string {
  const lines = changelog.split('\n');
  const start = lines.findIndex((l) => l.trim() === UNRELEASED);
  if (start < 0) throw new AppError(ErrorCodes.INVALID_CONFIGURATION, `schema/CHANGELOG.md has no "${UNRELEASED}" section`);
  lines.splice(start, 1, UNRELEASED, '', `## ${version} — ${date}`);
  return lines.join('\n');
}
