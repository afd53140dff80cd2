import { z } from 'zod';

/**
 * The dependency vulnerability gate: `npm audit --omit=dev --json` read here, failing on high
 * and critical advisories unless an unexpired exception in audit-exceptions.json accepts one.
 * A registry that cannot answer audit requests is reported and the check skipped (visibly), not
 * failed: that says nothing about the dependencies.
 */
export const FAILING_SEVERITIES = ['high', 'critical'] as const;

export const AuditExceptions = z.object({
  exceptions: z.array(
    z
      .object({
        /** GHSA id (`GHSA-xxxx-xxxx-xxxx`) or npm's numeric advisory id */
        id: z.string().regex(/^(GHSA(-[23456789cfghjmpqrvwx]{4}){3}|\d+)$/, 'a GHSA id or a numeric npm advisory id'),
        package: z.string().min(1),
        reason: z.string().min(10, 'say why the advisory does not apply or cannot be fixed yet'),
        expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD'),
      })
      .strict(),
  ),
});
export type AuditExceptions = z.infer<typeof AuditExceptions>;

export interface Advisory {
  id: string;
  package: string;
  severity: string;
  title: string;
  url: string;
}

export type AuditVerdict =
  | { kind: 'pass'; advisories: Advisory[]; excepted: Advisory[]; unused: string[]; expired: [] }
  | { kind: 'fail'; advisories: Advisory[]; excepted: Advisory[]; unused: string[]; expired: string[] }
  | { kind: 'skipped'; reason: string; expired: string[] };

interface ViaAdvisory {
  source?: number;
  name?: string;
  title?: string;
  url?: string;
  severity?: string;
}
interface AuditReport {
  vulnerabilities?: Record<string, { via?: (string | ViaAdvisory)[] }>;
  error?: { summary?: string; detail?: string };
  message?: string;
  statusCode?: number;
}

const idOf = (v: ViaAdvisory): string => /\/(GHSA-[\w-]+)$/.exec(v.url ?? '')?.[1] ?? String(v.source);

/** The high and critical advisories of an npm audit report (format 2, npm ≥ 7), once each. */
export function failingAdvisories(report: AuditReport): Advisory[] {
  const found = new Map<string, Advisory>();
  for (const vuln of Object.values(report.vulnerabilities ?? {})) {
    for (const via of vuln.via ?? []) {
      if (typeof via === 'string' || !FAILING_SEVERITIES.includes(via.severity as (typeof FAILING_SEVERITIES)[number])) continue;
      const id = idOf(via);
      found.set(`${id} ${via.name}`, { id, package: via.name ?? '?', severity: via.severity!, title: via.title ?? '', url: via.url ?? '' });
    }
  }
  return [...found.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** Why a report is no answer at all (the registry refused or failed the audit request), or null for a real report. */
export function unavailableReason(raw: string): string | null {
  let report: AuditReport;
  try {
    report = JSON.parse(raw) as AuditReport;
  } catch {
    return `npm audit printed no JSON report (${raw.trim().slice(0, 200) || 'nothing'})`;
  }
  if (report.vulnerabilities) return null;
  return report.message ?? report.error?.summary ?? report.error?.detail ?? 'npm audit returned no report';
}

/** The verdict on an audit's output, with the exceptions in force on `today` (YYYY-MM-DD, UTC). */
export function judge(rawReport: string, exceptions: AuditExceptions, today: string): AuditVerdict {
  const expired = exceptions.exceptions.filter((e) => e.expires < today).map((e) => `${e.id} (${e.package}) expired on ${e.expires}`);
  const unavailable = unavailableReason(rawReport);
  if (unavailable !== null) return { kind: 'skipped', reason: unavailable, expired };
  const advisories = failingAdvisories(JSON.parse(rawReport) as AuditReport);
  const inForce = exceptions.exceptions.filter((e) => e.expires >= today);
  const accepts = (a: Advisory) => inForce.some((e) => e.id === a.id && e.package === a.package);
  const open = advisories.filter((a) => !accepts(a));
  const excepted = advisories.filter(accepts);
  const unused = inForce.filter((e) => !advisories.some((a) => a.id === e.id && a.package === e.package)).map((e) => `${e.id} (${e.package})`);
  if (open.length || expired.length) return { kind: 'fail', advisories: open, excepted, unused, expired };
  return { kind: 'pass', advisories: [], excepted, unused, expired: [] };
}

const EXCEPTION_HELP =
  'To accept an advisory for a while, add { "id", "package", "reason", "expires": "YYYY-MM-DD" } to audit-exceptions.json (README, "Dependency audit").';

/** The lines to print, and whether the check failed. */
export function report(v: AuditVerdict): { failed: boolean; lines: string[] } {
  const expired = v.expired.map((e) => `  - exception ${e}: fix the dependency, or renew the exception with a new date and reason`);
  if (v.kind === 'skipped') {
    const lines = [
      `npm audit: SKIPPED — the registry could not answer the audit request: ${v.reason}`,
      '  No vulnerability check was made in this run; run `npm run audit:deps` where the registry supports audits.',
    ];
    return v.expired.length ? { failed: true, lines: [...lines, 'audit-exceptions.json has expired exceptions:', ...expired] } : { failed: false, lines };
  }
  const excepted = v.excepted.map((a) => `  - ${a.id} ${a.package} (${a.severity}) accepted by audit-exceptions.json`);
  const unused = v.unused.map((u) => `  - exception ${u} matches no advisory any more: remove it`);
  if (v.kind === 'pass') return { failed: false, lines: ['npm audit: no high or critical advisories in production dependencies', ...excepted, ...unused] };
  return {
    failed: true,
    lines: [
      'npm audit: high or critical advisories in production dependencies:',
      ...v.advisories.map((a) => `  - ${a.id} ${a.package} (${a.severity}): ${a.title} ${a.url}`.trimEnd()),
      ...(expired.length ? ['audit-exceptions.json has expired exceptions:', ...expired] : []),
      ...excepted,
      ...unused,
      EXCEPTION_HELP,
    ],
  };
}
