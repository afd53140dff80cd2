#!/usr/bin/env bash
# Debian's nginx with the stream module (YKC's TCP), for the edge and its test
# (ops/dev/test/edge.e2e.test.ts). As root; idempotent: does nothing when both are installed.
# Installing starts no daemon here: the edge runs as `nginx -p <prefix> -c <conf> -g 'daemon off;'`.
set -euo pipefail
if [ -x /usr/sbin/nginx ] && [ -f /usr/lib/nginx/modules/ngx_stream_module.so ] && command -v envsubst > /dev/null && command -v openssl > /dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-nginx.sh: run as root (apt-get install nginx libnginx-mod-stream gettext-base openssl)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# one package-list update per machine, not per run
stamp=/var/lib/apt/periodic/evcs-edge-apt-updated
if [ ! -f "$stamp" ]; then
  apt-get update -qq
  mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
# policy-rc.d: a package's post-install must not start a system nginx on port 80
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get install -y -qq --no-install-recommends nginx libnginx-mod-stream gettext-base openssl > /dev/null
/usr/sbin/nginx -v
