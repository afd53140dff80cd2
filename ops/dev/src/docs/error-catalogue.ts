import { UserErrorCodes as AssetsCodes } from '@evcs/assets/dist/src/domain/model';
import { UserErrorCodes as OrdersCodes } from '@evcs/orders/dist/src/domain/error-codes';
import { DeadLetterReasons as PaymentsDeadLetterReasons, UserErrorCodes as PaymentsCodes } from '@evcs/payments/dist/src/domain/error-codes';
import { DeadLetterReasons, describeCodes, ErrorCodes, ReplayErrorCodes, type CodeMeaning } from '@evcs/platform';
import { DebugErrorCodes } from '@evcs/protocol-bridge/dist/src/debug/graphql';
import { RouterErrorCodes } from '@evcs/router/dist/src/error-codes';
import { PlanErrorCodes } from '@evcs/tariffs/dist/src/domain/plan';
import { TariffErrorCodes } from '@evcs/tariffs/dist/src/domain/tariff-service';
import { UserErrorCodes as TenantsCodes } from '@evcs/tenants/dist/src/domain/error-codes';
import { GENERATED_NOTE, mdCell } from './markdown';

/** Where a client meets a code. */
export type Surface = 'extensions' | 'payload' | 'deadLetter';

/** A registry made by defineCodes, where it lives, and which workspace's code may return its codes. */
export interface Registry {
  /** the workspace directory whose source returns these codes (`subgraphs/orders`, `router`, `packages/platform`…) */
  workspace: string;
  title: string;
  source: string;
  surface: Surface;
  codes: object;
}

export const REGISTRIES: readonly Registry[] = [
  { workspace: 'packages/platform', title: 'Every service', source: 'packages/platform/src/errors.ts', surface: 'extensions', codes: ErrorCodes },
  { workspace: 'router', title: 'Router', source: 'router/src/error-codes.ts', surface: 'extensions', codes: RouterErrorCodes },
  {
    workspace: 'packages/platform',
    title: 'dead-letter replays (every subgraph that keeps dead letters)',
    source: 'packages/platform/src/dead-letter/replay.ts',
    surface: 'payload',
    codes: ReplayErrorCodes,
  },
  { workspace: 'subgraphs/tenants', title: 'tenants', source: 'subgraphs/tenants/src/domain/error-codes.ts', surface: 'payload', codes: TenantsCodes },
  { workspace: 'subgraphs/assets', title: 'assets', source: 'subgraphs/assets/src/domain/model.ts', surface: 'payload', codes: AssetsCodes },
  {
    workspace: 'subgraphs/tariffs',
    title: 'tariffs: plans and bindings',
    source: 'subgraphs/tariffs/src/domain/tariff-service.ts',
    surface: 'payload',
    codes: TariffErrorCodes,
  },
  { workspace: 'subgraphs/tariffs', title: 'tariffs: segments', source: 'subgraphs/tariffs/src/domain/plan.ts', surface: 'payload', codes: PlanErrorCodes },
  { workspace: 'subgraphs/orders', title: 'orders', source: 'subgraphs/orders/src/domain/error-codes.ts', surface: 'payload', codes: OrdersCodes },
  { workspace: 'subgraphs/payments', title: 'payments', source: 'subgraphs/payments/src/domain/error-codes.ts', surface: 'payload', codes: PaymentsCodes },
  {
    workspace: 'protocol-bridge',
    title: 'protocol bridge: operator debug GraphQL (`POST /debug/graphql`)',
    source: 'protocol-bridge/src/debug/graphql.ts',
    surface: 'payload',
    codes: DebugErrorCodes,
  },
  {
    workspace: 'packages/platform',
    title: 'Every consumer',
    source: 'packages/platform/src/dead-letter/classify.ts',
    surface: 'deadLetter',
    codes: DeadLetterReasons,
  },
  {
    workspace: 'subgraphs/payments',
    title: 'payments',
    source: 'subgraphs/payments/src/domain/error-codes.ts',
    surface: 'deadLetter',
    codes: PaymentsDeadLetterReasons,
  },
];

/** The codes a workspace may return: its own registries' and the platform's, which every service shares. */
export function codesOf(workspace: string, registries: readonly Registry[] = REGISTRIES): Set<string> {
  return new Set(
    registries.filter((r) => r.workspace === workspace || r.workspace === 'packages/platform').flatMap((r) => describeCodes(r.codes).map((c) => c.code)),
  );
}

/**
 * Codes written as string literals where an error is made: the first argument of fail,
 * userError and new AppError, a GraphQL error's extensions code, and a UserError object
 * literal (code, then field). The registries are the catalogue's source; this finds a code
 * returned without one.
 */
const LITERAL_CODE_PATTERNS = [
  /\b(?:fail|userError)\s*(?:<[^>()]*>)?\(\s*'([A-Z][A-Z0-9_]*)'/g,
  /\bnew AppError\(\s*'([A-Z][A-Z0-9_]*)'/g,
  /\bextensions:\s*\{\s*code:\s*'([A-Z][A-Z0-9_]*)'/g,
  /\{\s*code:\s*'([A-Z][A-Z0-9_]*)',\s*field:/g,
];

export interface LiteralCode {
  code: string;
  line: number;
}

export function literalCodes(source: string): LiteralCode[] {
  const found: LiteralCode[] = [];
  for (const pattern of LITERAL_CODE_PATTERNS) {
    for (const m of source.matchAll(pattern)) found.push({ code: m[1], line: source.slice(0, m.index).split('\n').length });
  }
  return found.sort((a, b) => a.line - b.line);
}

const table = (codes: readonly CodeMeaning[]) => ['| code | meaning |', '| --- | --- |', ...codes.map((c) => `| \`${c.code}\` | ${mdCell(c.meaning)} |`)];

function section(r: Registry): string[] {
  return [`### ${r.title}`, '', `Declared in \`${r.source}\`.`, '', ...table(describeCodes(r.codes)), ''];
}

export function renderErrorCatalogue(registries: readonly Registry[] = REGISTRIES): string {
  const of = (s: Surface) => registries.filter((r) => r.surface === s).flatMap(section);
  return [
    '# Error codes',
    '',
    GENERATED_NOTE,
    '',
    'Every error a client can act on carries a stable code; messages are for people and may change.',
    'Codes live in registries beside the code that returns them (`defineCodes` in',
    '`packages/platform/src/errors.ts`: each code with its meaning), and this catalogue is made from them.',
    '',
    'A client meets a code in one of two places:',
    '',
    '- **`errors[].extensions.code`**: the operation failed as a whole (not signed in, not allowed, bad',
    '  arguments, a dependency down, anything unexpected). HTTP and graphql-ws alike.',
    "- **`userErrors[].code`** in a mutation's payload: an expected business failure, with the input `field`",
    '  at fault (a path such as `segments[3].start`, or null) and a `message`. The mutation itself succeeded',
    '  as a request; nothing was changed.',
    '',
    'A code is retriable when the message says so (`DEPENDENCY_UNAVAILABLE`, `CHANNEL_UNAVAILABLE`,',
    '`CONFLICT`); the others need a different request.',
    '',
    '## GraphQL errors (`errors[].extensions.code`)',
    '',
    ...of('extensions'),
    '## Mutation payloads (`userErrors[].code`)',
    '',
    ...of('payload'),
    '## Dead letters (`DeadLetter.reasonCode`)',
    '',
    'Why a consumer set an event aside for good (`<subgraph>DeadLetters`, replayed with',
    '`replay<Subgraph>DeadLetter`; docs/reliability.md): one of these, or the code of the error a domain',
    'service refused it with (a code of the tables above, such as `FORBIDDEN`).',
    '',
    ...of('deadLetter'),
    '## Chargers',
    '',
    'Chargers are refused in their protocols, not with these codes: an OCPP charger with an HTTP status at',
    'the WebSocket upgrade (401, 403, 404), a YKC pile with a refused login (0x02); each refusal is counted',
    '(`refused_<reason>`) and audited as `CHARGER_LOGIN_REFUSED`. The reasons are listed in',
    '`protocol-bridge/README.md` (*Who may connect: commissioning, credentials, takeovers*).',
    '',
  ].join('\n');
}
