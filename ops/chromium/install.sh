#!/usr/bin/env bash
# Debian's chromium package: the headless browser the console's browser test drives
# (playwright-core with executablePath /usr/bin/chromium; no browser download of its own).
# As root; idempotent: does nothing when the binary is there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (apt-get install chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# one package-list update per machine, not per run
stamp=/var/lib/apt/periodic/evcs-chromium-apt-updated
if [ ! -f "$stamp" ]; then
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium fonts-noto-cjk > /dev/null
/usr/bin/chromium --version
