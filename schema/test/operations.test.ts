import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildASTSchema, DocumentNode, Kind, parse, visit } from 'graphql';
import { printApiSchema } from '../src/api-schema';
import { operationCheck } from '../src/checks';
import { produceArtifacts } from '../src/compose';
import { checkOperations, collectDocuments, formatOperationFailure, unmarkedOperations } from '../src/operations';

/** The API schema without `Type.field`, as a schema change would leave it. */
function withoutField(sdl: string, type: string, field: string) {
  const doc = visit(parse(sdl), {
    ObjectTypeDefinition(node) {
      return node.name.value === type ? { ...node, fields: node.fields?.filter((f) => f.name.value !== field) } : undefined;
    },
  }) as DocumentNode;
  return buildASTSchema(doc);
}

describe('registered operations against the API schema', () => {
  let art: Awaited<ReturnType<typeof produceArtifacts>>;
  beforeAll(async () => {
    art = await produceArtifacts();
  });

  it('every registered operation is valid against the API schema with subscriptions', () => {
    const out = operationCheck(art);
    expect(out.lines).toEqual([expect.stringMatching(/^\d+ registered operations valid against the API schema$/)]);
    expect(out.failed).toBe(false);
  });

  it('collects the simulator, benchmarks, drills, stack, API examples and docs operations, all named', () => {
    const docs = collectDocuments();
    const files = new Set(docs.map((d) => d.file));
    for (const f of [
      'protocol-bridge/src/simulator/register.ts',
      'ops/dev/src/bench/session-starts.ts',
      'ops/dev/src/bench/router-queries.ts',
      'ops/dev/src/drill/fleet.ts',
      'ops/dev/src/drill/run.ts',
      'ops/dev/src/stack.ts',
      'ops/dev/src/docs/api-examples.ts',
      'docs/api/examples.md',
      'docs/reliability.md',
    ]) {
      expect(files).toContain(f);
    }
    const names = docs.flatMap((d) => parse(d.body).definitions.flatMap((x) => (x.kind === Kind.OPERATION_DEFINITION ? [x.name?.value] : [])));
    expect(names).toEqual(expect.arrayContaining(['SimulatorSignIn', 'DrillConnectorStatus', 'BenchStartCharging', 'StackSignIn', 'Login']));
    expect(names).not.toContain(undefined);
  });

  it('a removed field used by an operation fails the check, naming the operation, its file and the field', () => {
    const sdl = printApiSchema(art.apiSchema);
    const docs = collectDocuments();
    const { failures } = checkOperations(withoutField(sdl, 'Station', 'code'), docs);
    const lines = failures.map(formatOperationFailure);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^ {2}- protocol-bridge\/src\/simulator\/register\.ts:\d+ operation SimulatorStationsByCode: Cannot query field "code" on type "Station"\./,
      ),
    );
    // a subscription field too: the router's SDL is part of the API schema
    const sub = checkOperations(withoutField(sdl, 'ConnectorStatusChange', 'eventId'), docs).failures;
    expect(sub).toContainEqual({
      file: 'ops/dev/src/drill/run.ts',
      line: expect.any(Number),
      operation: 'DrillConnectorStatus',
      message: 'Cannot query field "eventId" on type "ConnectorStatusChange".',
    });
  });

  it('fails on an operation-looking literal in a registered source that is not marked /* GraphQL */', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'schema-ops-'));
    mkdirSync(path.join(root, 'ops', 'dev', 'src'), { recursive: true });
    writeFileSync(
      path.join(root, 'ops', 'dev', 'src', 'x.ts'),
      "const a = /* GraphQL */ `query Marked { me { __typename } }`;\nconst b = 'query($c: String!) { chargerByCode(code: $c) { id } }';\nconst c = '{ stations { edges { node { id } } } }';\n",
    );
    expect(unmarkedOperations(root).map((f) => [f.file, f.line, f.operation])).toEqual([
      ['ops/dev/src/x.ts', 2, '(unmarked)'],
      ['ops/dev/src/x.ts', 3, '(unmarked)'],
    ]);
    expect(unmarkedOperations()).toEqual([]);
  });

  it('picks up console/**/*.graphql with their shared fragments, names the anonymous and the unparsable, and skips SDL fences', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'schema-ops-'));
    mkdirSync(path.join(root, 'console', 'src', 'stations'), { recursive: true });
    writeFileSync(path.join(root, 'console', 'src', 'stations', 'list.graphql'), 'query ConsoleStations {\n  stations { edges { node { id nope } } }\n}\n');
    writeFileSync(path.join(root, 'console', 'src', 'anon.graphql'), '{ me { __typename } }\n');
    writeFileSync(path.join(root, 'console', 'src', 'broken.graphql'), 'query Broken {\n  me {\n');
    writeFileSync(path.join(root, 'README.md'), '# x\n\n```graphql\ntype Money { minor: Int }\n```\n');
    // a fragment of one console document spread in another (codegen compiles them together); a
    // Markdown example does not see it
    writeFileSync(path.join(root, 'console', 'src', 'paging.graphql'), 'fragment Page on PageInfo {\n  hasNextPage\n  endCursor\n}\n');
    writeFileSync(path.join(root, 'console', 'src', 'paged.graphql'), 'query Paged {\n  stations { pageInfo { ...Page } }\n}\n');
    writeFileSync(path.join(root, 'docs.md'), '```graphql\nquery Alone {\n  stations { pageInfo { ...Page } }\n}\n```\n');
    const { operations, failures } = checkOperations(art.apiSchema, collectDocuments(root));
    expect(operations).toBe(4);
    expect(failures).toEqual([
      { file: 'console/src/anon.graphql', line: 1, operation: '(anonymous)', message: expect.stringContaining('anonymous operation: give it a name') },
      { file: 'console/src/broken.graphql', line: 3, operation: '(document)', message: expect.stringContaining('Syntax Error') },
      {
        file: 'console/src/stations/list.graphql',
        line: 2,
        operation: 'ConsoleStations',
        message: expect.stringContaining('Cannot query field "nope" on type "Station".'),
      },
      { file: 'docs.md', line: 3, operation: 'Alone', message: 'Unknown fragment "Page".' },
    ]);
  });
});
