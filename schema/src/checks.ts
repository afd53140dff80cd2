import { readFileSync } from 'node:fs';
import { compareWithBaseline, formatBreakingReport } from './breaking';
import { unreleasedRecords } from './changelog';
import type { Artifacts } from './compose';
import { checkOperations, collectDocuments, formatOperationFailure, unmarkedOperations } from './operations';
import { CHANGELOG_PATH, comparedSchemas, RELEASED_DIR, releasedVersion } from './released';
import { REPO_ROOT } from './subgraphs';

export interface CheckOutcome {
  failed: boolean;
  lines: string[];
}

export interface CheckPaths {
  root?: string;
  releasedDir?: string;
  changelogPath?: string;
}

/** Breaking changes of every subgraph SDL and of the API schema against the released baseline. */
export async function breakingChangeCheck(art: Artifacts, p: CheckPaths = {}): Promise<CheckOutcome> {
  const dir = p.releasedDir ?? RELEASED_DIR;
  const { records, malformed } = unreleasedRecords(readFileSync(p.changelogPath ?? CHANGELOG_PATH, 'utf8'));
  const out = formatBreakingReport(await compareWithBaseline(comparedSchemas(art, dir), records), releasedVersion(dir));
  if (!malformed.length) return out;
  return {
    failed: true,
    lines: [
      ...out.lines,
      'schema/CHANGELOG.md: lines under "## Unreleased" that are not "- `Type.field`: reason":',
      ...malformed.map((m) => `  - line ${m.line}: ${m.text}`),
    ],
  };
}

/** Every registered client operation validated against the API schema (subscriptions included). */
export function operationCheck(art: Artifacts, p: CheckPaths = {}): CheckOutcome {
  const root = p.root ?? REPO_ROOT;
  const checked = checkOperations(art.apiSchema, collectDocuments(root));
  const operations = checked.operations;
  const failures = [...checked.failures, ...unmarkedOperations(root)];
  if (!failures.length) return { failed: false, lines: [`${operations} registered operations valid against the API schema`] };
  return {
    failed: true,
    lines: [
      `registered operations that do not validate against the API schema (${failures.length} of ${operations} operations' problems):`,
      ...failures.map(formatOperationFailure),
    ],
  };
}
