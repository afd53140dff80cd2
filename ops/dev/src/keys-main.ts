import { ensureDevKeys } from './keys';

/**
 * `node ops/dev/dist/src/keys-main.js <dir>`: the local signing keys (ensureDevKeys) in `dir`, for the
 * compose demo's `keys` one-shot. A real deployment brings its own keys as secrets (docs/operations.md).
 */
const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: keys-main <dir>\n');
  process.exit(2);
}
ensureDevKeys(dir).then(
  (k) => process.stdout.write(`signing keys in ${k.dir}\n`),
  (e: unknown) => {
    process.stderr.write(`keys failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
