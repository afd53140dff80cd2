import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AuditExceptions, failingAdvisories, judge, report } from '../src/audit/audit';

// npm audit --json (format 2) as npm prints it: a package's `via` lists advisories, or the names of
// the packages it is vulnerable through.
const REPORT = JSON.stringify({
  auditReportVersion: 2,
  vulnerabilities: {
    'fast-xml-parser': {
      name: 'fast-xml-parser',
      severity: 'high',
      via: [
        {
          source: 1096519,
          name: 'fast-xml-parser',
          title: 'Prototype pollution',
          url: 'https://github.com/advisories/GHSA-mpg4-rc92-vx8v',
          severity: 'high',
          range: '<4.4.1',
        },
      ],
    },
    '@aws-sdk/core': { name: '@aws-sdk/core', severity: 'high', via: ['fast-xml-parser'] },
    cookie: {
      name: 'cookie',
      severity: 'low',
      via: [{ source: 1099846, name: 'cookie', title: 'out of bounds characters', url: 'https://github.com/advisories/GHSA-pxg6-pf52-xh8x', severity: 'low' }],
    },
    ws: {
      name: 'ws',
      severity: 'critical',
      via: [{ source: 1098392, name: 'ws', title: 'DoS', url: 'https://github.com/advisories/GHSA-3h5v-q93c-6h6q', severity: 'critical' }],
    },
  },
  metadata: {},
});
const CLEAN = JSON.stringify({ auditReportVersion: 2, vulnerabilities: {}, metadata: {} });
// what this machine's registry answers (it serves packages, not audits)
const REFUSED = JSON.stringify({
  message: '405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk',
  statusCode: 405,
  error: { summary: '', detail: '' },
});

const none: AuditExceptions = { exceptions: [] };
const accept = (id: string, pkg: string, expires: string): AuditExceptions => ({
  exceptions: [{ id, package: pkg, reason: 'only reachable from a build-time tool', expires }],
});
const TODAY = '2026-06-01';

describe('dependency audit', () => {
  it('fails on high and critical advisories, once each, and ignores lower ones and the packages they reach through', () => {
    expect(failingAdvisories(JSON.parse(REPORT)).map((a) => [a.id, a.package, a.severity])).toEqual([
      ['GHSA-3h5v-q93c-6h6q', 'ws', 'critical'],
      ['GHSA-mpg4-rc92-vx8v', 'fast-xml-parser', 'high'],
    ]);
    const out = report(judge(REPORT, none, TODAY));
    expect(out.failed).toBe(true);
    expect(out.lines.join('\n')).toMatch(/GHSA-3h5v-q93c-6h6q ws \(critical\)[\s\S]*audit-exceptions\.json/);
  });

  it('passes a clean report', () => {
    expect(report(judge(CLEAN, none, TODAY))).toEqual({ failed: false, lines: ['npm audit: no high or critical advisories in production dependencies'] });
  });

  it('accepts an advisory an unexpired exception names, for that package only', () => {
    const both = {
      exceptions: [...accept('GHSA-3h5v-q93c-6h6q', 'ws', TODAY).exceptions, ...accept('GHSA-mpg4-rc92-vx8v', 'fast-xml-parser', '2027-01-01').exceptions],
    };
    const v = judge(REPORT, both, TODAY);
    expect(v.kind).toBe('pass');
    expect(report(v).lines.join('\n')).toContain('GHSA-3h5v-q93c-6h6q ws (critical) accepted');
    expect(judge(REPORT, accept('GHSA-3h5v-q93c-6h6q', 'other-package', TODAY), TODAY).kind).toBe('fail');
  });

  it('fails on an expired exception, even when its advisory is gone or the registry cannot answer', () => {
    const old = accept('GHSA-3h5v-q93c-6h6q', 'ws', '2026-05-31');
    const v = judge(CLEAN, old, TODAY);
    expect(v.kind).toBe('fail');
    expect(report(v).lines.join('\n')).toMatch(/exception GHSA-3h5v-q93c-6h6q \(ws\) expired on 2026-05-31/);
    expect(report(judge(REFUSED, old, TODAY)).failed).toBe(true);
    // and an expired exception no longer accepts
    expect(judge(REPORT, old, TODAY)).toMatchObject({ kind: 'fail', advisories: expect.arrayContaining([expect.objectContaining({ package: 'ws' })]) });
  });

  it('says when an exception matches nothing any more', () => {
    expect(report(judge(CLEAN, accept('GHSA-3h5v-q93c-6h6q', 'ws', '2027-01-01'), TODAY)).lines).toContain(
      '  - exception GHSA-3h5v-q93c-6h6q (ws) matches no advisory any more: remove it',
    );
  });

  it('skips, visibly, when the registry cannot answer audit requests or npm printed no report', () => {
    const v = judge(REFUSED, none, TODAY);
    expect(v).toMatchObject({ kind: 'skipped', reason: expect.stringContaining('405 Method Not Allowed') });
    const out = report(v);
    expect(out.failed).toBe(false);
    expect(out.lines[0]).toMatch(/^npm audit: SKIPPED/);
    expect(judge('npm ERR! network ETIMEDOUT', none, TODAY)).toMatchObject({ kind: 'skipped', reason: expect.stringContaining('no JSON report') });
  });

  it('refuses a malformed exception, and the committed file is well-formed', () => {
    expect(AuditExceptions.safeParse({ exceptions: [{ id: 'CVE-2024-1', package: 'ws', reason: 'because', expires: 'soon' }] }).success).toBe(false);
    expect(
      AuditExceptions.safeParse({ exceptions: [{ id: '1098392', package: 'ws', reason: 'not reachable from our code', expires: '2027-01-01' }] }).success,
    ).toBe(true);
    const committed = JSON.parse(readFileSync(path.resolve(__dirname, '../../../../audit-exceptions.json'), 'utf8'));
    expect(AuditExceptions.safeParse(committed).success).toBe(true);
  });
});
