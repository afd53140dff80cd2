import { EXAMPLES, redact, type ExampleId, type ExampleRun } from './api-examples';

/**
 * docs/api/examples.md is written by hand, except between its markers
 * `<!-- example:<id> -->` … `<!-- /example:<id> -->`: there `npm run docs:examples` puts what the
 * example really sent and got (tokens and passwords redacted).
 */
const region = (id: string) => new RegExp(`(<!-- example:${id} -->\\n)([\\s\\S]*?)(<!-- /example:${id} -->)`);

const json = (v: unknown) => ['```json', JSON.stringify(redact(v), null, 2), '```'];

export function renderExample(run: ExampleRun): string {
  const ex = EXAMPLES[run.id];
  const how =
    ex.transport === 'graphql-ws'
      ? 'Over a WebSocket to `/graphql` (subprotocol `graphql-transport-ws`): `connection_init` with the payload `{ "authorization": "Bearer <access token>" }`, then `subscribe` with this query and variables; each change arrives as a `next` message with this payload:'
      : run.id === 'login'
        ? '`POST /graphql` with the JSON body `{ "query": …, "variables": … }`, no token:'
        : '`POST /graphql` with `Authorization: Bearer <access token>` and the JSON body `{ "query": …, "variables": … }`:';
  return [how, '', '```graphql', run.query, '```', '', 'Variables:', '', ...json(run.variables), '', 'Response:', '', ...json(run.response), ''].join('\n');
}

/** The document with every example's region filled from its run; each id must have its markers. */
export function fillExamples(doc: string, runs: readonly ExampleRun[]): string {
  let out = doc;
  for (const run of runs) {
    const re = region(run.id);
    if (!re.test(out)) throw new Error(`docs/api/examples.md has no <!-- example:${run.id} --> … <!-- /example:${run.id} --> markers`);
    out = out.replace(re, (_m, open: string, _body: string, close: string) => `${open}${renderExample(run)}${close}`);
  }
  return out;
}

export interface DocumentedExample {
  query: string;
  variables: unknown;
  response: unknown;
}

/** The examples as the document shows them: the query, then the variables and the response (JSON). */
export function parseExamples(doc: string): Map<ExampleId, DocumentedExample> {
  const found = new Map<ExampleId, DocumentedExample>();
  for (const id of Object.keys(EXAMPLES) as ExampleId[]) {
    const body = region(id).exec(doc)?.[2];
    if (body === undefined) continue;
    const blocks = [...body.matchAll(/```(graphql|json)\n([\s\S]*?)\n```/g)];
    const query = blocks.find((b) => b[1] === 'graphql')?.[2];
    const jsons = blocks.filter((b) => b[1] === 'json').map((b) => JSON.parse(b[2]) as unknown);
    if (query === undefined || jsons.length !== 2) throw new Error(`docs/api/examples.md, example ${id}: expected a graphql block and two json blocks`);
    found.set(id, { query, variables: jsons[0], response: jsons[1] });
  }
  return found;
}
