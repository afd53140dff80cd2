import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppError, ErrorCodes } from '@evcs/platform';
import { schemaFromApiSdl, subgraphSchemaFromSdl, printApiSchema } from './api-schema';
import type { ComparedSchema } from './breaking';
import { releaseChangelog } from './changelog';
import type { Artifacts } from './compose';
import { REPO_ROOT } from './subgraphs';

/**
 * schema/released/ holds the schemas of the last release, the baseline breaking changes are
 * judged against: VERSION, one `<subgraph>.graphql` per subgraph and `api.graphql` (the API
 * schema with the router's subscriptions). Only `npm run schema:release -- <version>` moves it.
 */
export const RELEASED_DIR = path.join(REPO_ROOT, 'schema', 'released');
export const CHANGELOG_PATH = path.join(REPO_ROOT, 'schema', 'CHANGELOG.md');
const API_FILE = 'api.graphql';

export const releasedVersion = (dir = RELEASED_DIR): string => readFileSync(path.join(dir, 'VERSION'), 'utf8').trim();

/** The baseline and current schema of every subgraph and of the API, paired for the diff. */
export function comparedSchemas(art: Artifacts, dir = RELEASED_DIR): ComparedSchema[] {
  const read = (file: string) => {
    try {
      return readFileSync(path.join(dir, file), 'utf8');
    } catch (e) {
      throw new AppError(
        ErrorCodes.INVALID_CONFIGURATION,
        `no released baseline ${path.relative(REPO_ROOT, path.join(dir, file))} (a new schema is added by a release)`,
        {
          cause: e,
        },
      );
    }
  };
  return [
    ...art.subgraphs.map((s) => ({ name: s.name, baseline: subgraphSchemaFromSdl(read(`${s.name}.graphql`)), current: subgraphSchemaFromSdl(s.sdl) })),
    { name: 'api', baseline: schemaFromApiSdl(read(API_FILE)), current: art.apiSchema },
  ];
}

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const numeric = (v: string) => v.split('-')[0].split('.').map(Number);
function newer(a: string, b: string): boolean {
  const [x, y] = [numeric(a), numeric(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] > y[i];
  return false;
}

/** Write the current schemas as the released baseline `version` and close the changelog's Unreleased section. */
export function release(art: Artifacts, version: string, date: string, dir = RELEASED_DIR, changelogPath = CHANGELOG_PATH): string[] {
  if (!SEMVER.test(version)) throw new AppError(ErrorCodes.BAD_USER_INPUT, `release version "${version}" is not a semantic version (x.y.z)`);
  let previous: string | undefined;
  try {
    previous = releasedVersion(dir);
  } catch {
    previous = undefined;
  }
  if (previous && !newer(version, previous)) throw new AppError(ErrorCodes.BAD_USER_INPUT, `release version ${version} is not after the released ${previous}`);
  mkdirSync(dir, { recursive: true });
  const written = [];
  for (const s of art.subgraphs) {
    writeFileSync(path.join(dir, `${s.name}.graphql`), s.sdl);
    written.push(`${s.name}.graphql`);
  }
  writeFileSync(path.join(dir, API_FILE), printApiSchema(art.apiSchema));
  writeFileSync(path.join(dir, 'VERSION'), version + '\n');
  const out = [...written, API_FILE, 'VERSION'].map((f) => path.join(dir, f));
  // the first release (the baseline's creation) has no changelog section to close
  if (previous) {
    writeFileSync(changelogPath, releaseChangelog(readFileSync(changelogPath, 'utf8'), version, date));
    out.push(changelogPath);
  }
  return out.map((f) => path.relative(REPO_ROOT, f));
}
