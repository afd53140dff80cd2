#!/usr/bin/env bash
# Debian's prometheus package: the server (`npm start -- --observability`, the metrics e2e
# test) and promtool (`npm test` checks the config, the rules and their unit tests). As root;
# idempotent: does nothing when both binaries are there. The package's service is never
# started here: the project runs the server in the foreground with its own config and data dir.
set -euo pipefail
if [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (apt-get install prometheus)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# one package-list update per machine, not per run
stamp=/var/lib/apt/periodic/evcs-prometheus-apt-updated
if [ ! -f "$stamp" ]; then
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
# policy-rc.d: the package's post-install must not start a system prometheus on port 9090
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends prometheus > /dev/null
/usr/bin/promtool --version | head -1
