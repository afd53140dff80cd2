#!/usr/bin/env bash
# The container image's build stage (ops/deploy/Dockerfile runs exactly this), also run by CI on a
# copy of the tree (ops/dev/test/deploy-build.int.test.ts): install from the lockfile, compile
# every workspace and the console, drop the dev dependencies and what the runtime never loads.
# NPM_CI_FLAGS adds flags to npm ci (the test: --offline, from the machine's npm cache).
set -euo pipefail
cd "${1:-.}"
# shellcheck disable=SC2086 # the flags are words
npm ci --no-audit --no-fund ${NPM_CI_FLAGS:-}
npx --no-install tsc -b tsconfig.json
# the console's static files (console/dist, served by the edge): built before the prune, as its
# toolchain and packages are dev dependencies
npm run build -w console
npm prune --omit=dev --no-audit --no-fund ${NPM_CI_FLAGS:-}
# compiled tests, build info and TypeScript sources stay behind; dist/ and package.json are what runs
find . -path ./node_modules -prune -o -type d -name test -path '*/dist/test' -print0 | xargs -0 rm -rf
find . -path ./node_modules -prune -o -name '*.tsbuildinfo' -print0 | xargs -0 rm -f
