import { parseArgs } from 'node:util';
import { runDrill, summary } from './run';
import { SCENARIOS } from './scenarios';

/**
 * `npm run drill -- <scenario> [--chargers N] [--duration S] [--fault-at S] [--no-pay] [--json]`:
 * the whole stack as real processes, a simulated fleet charging at a steady load, one
 * fault injected mid-run, then the books checked (docs/reliability.md). Exits 1 if
 * anything was lost or duplicated, or the platform did not become ready again by itself.
 */
async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      chargers: { type: 'string', default: '6' },
      duration: { type: 'string', default: '90' },
      'fault-at': { type: 'string' },
      'recover-within': { type: 'string', default: '90' },
      'no-pay': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
    },
  });
  const name = positionals[0];
  if (!name) {
    process.stderr.write(
      `usage: npm run drill -- <scenario> [--chargers N] [--duration S] [--fault-at S] [--no-pay] [--json]\nscenarios: ${SCENARIOS.join(', ')}\n`,
    );
    return 2;
  }
  const durationS = Number(values.duration);
  const result = await runDrill({
    scenario: name,
    chargers: Number(values.chargers),
    durationS,
    faultAtS: values['fault-at'] ? Number(values['fault-at']) : Math.round(durationS / 3),
    recoverWithinS: Number(values['recover-within']),
    pay: !values['no-pay'],
    verbose: values.verbose,
    log: (l) => process.stdout.write(`[drill] ${l}\n`),
  });
  process.stdout.write(`${summary(result)}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  return result.problems.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`drill failed to run: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
