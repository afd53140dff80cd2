import { Change, CriticalityLevel, diff } from '@graphql-inspector/core';
import type { GraphQLSchema } from 'graphql';
import type { ChangelogRecord } from './changelog';

/** One compared schema: a subgraph's SDL, or the API schema (supergraph API + router subscriptions). */
export interface ComparedSchema {
  /** `api`, or a subgraph's name */
  name: string;
  baseline: GraphQLSchema;
  current: GraphQLSchema;
}

export interface SchemaChange {
  schema: string;
  /** the schema coordinate a CHANGELOG record names: `Type`, `Type.field`, `Type.field.arg`, `Enum.VALUE` */
  coordinate: string;
  message: string;
  reason?: string;
}

export interface BreakingReport {
  /** breaking and not recorded under `## Unreleased`: these fail the check */
  unrecorded: SchemaChange[];
  /** breaking and recorded */
  recorded: (SchemaChange & { record: ChangelogRecord })[];
  /** printed, never failed */
  dangerous: SchemaChange[];
}

const coordinateOf = (c: Change): string => c.path ?? c.type;

export async function compareWithBaseline(schemas: ComparedSchema[], records: ChangelogRecord[]): Promise<BreakingReport> {
  const report: BreakingReport = { unrecorded: [], recorded: [], dangerous: [] };
  for (const s of schemas) {
    for (const c of await diff(s.baseline, s.current)) {
      const change: SchemaChange = { schema: s.name, coordinate: coordinateOf(c), message: c.message, reason: c.criticality.reason };
      if (c.criticality.level === CriticalityLevel.Dangerous) report.dangerous.push(change);
      if (c.criticality.level !== CriticalityLevel.Breaking) continue;
      const record = records.find((r) => r.coordinate === change.coordinate);
      if (record) report.recorded.push({ ...change, record });
      else report.unrecorded.push(change);
    }
  }
  return report;
}

/** What the check prints: failures first, each with the line that would record it. */
export function formatBreakingReport(r: BreakingReport, baselineVersion: string): { failed: boolean; lines: string[] } {
  const lines: string[] = [];
  if (r.unrecorded.length) {
    lines.push(`breaking changes since the released schema ${baselineVersion} (schema/released/), not recorded in schema/CHANGELOG.md:`);
    for (const c of r.unrecorded) lines.push(`  - [${c.schema}] ${c.coordinate}: ${c.message}`);
    lines.push(
      'If they are intended, record each under "## Unreleased" in schema/CHANGELOG.md as a line',
      ...[...new Set(r.unrecorded.map((c) => c.coordinate))].map((coord) => `  - \`${coord}\`: <why, and what clients do instead>`),
      'otherwise keep the old field/type/argument (deprecate it with @deprecated) until a release that records its removal. See docs/schema-checks.md.',
    );
  }
  for (const c of r.recorded) lines.push(`breaking, recorded (CHANGELOG.md:${c.record.line}): [${c.schema}] ${c.coordinate}: ${c.message}`);
  for (const c of r.dangerous) lines.push(`dangerous (not failed): [${c.schema}] ${c.coordinate}: ${c.message}`);
  if (!r.unrecorded.length) lines.push(`no unrecorded breaking changes since the released schema ${baselineVersion}`);
  return { failed: r.unrecorded.length > 0, lines };
}
