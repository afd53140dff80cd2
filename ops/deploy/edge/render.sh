#!/usr/bin/env bash
# Render the edge's nginx.conf from nginx.conf.template: render.sh <out-dir>
# Substitutes only the EDGE_* variables (nginx's own $variables stay) and copies the includes.
# Defaults suit a host running Debian's nginx in front of one router, one bridge, assets and payments on loopback.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: render.sh <out-dir>}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
export EDGE_CONF_DIR="${EDGE_CONF_DIR:-$out}"
export EDGE_RUN_DIR="${EDGE_RUN_DIR:-$out/run}"
export EDGE_ERROR_LOG="${EDGE_ERROR_LOG:-$EDGE_RUN_DIR/error.log}"
export EDGE_ACCESS_LOG="${EDGE_ACCESS_LOG:-$EDGE_RUN_DIR/access.log}"
export EDGE_LOAD_MODULES="${EDGE_LOAD_MODULES-load_module /usr/lib/nginx/modules/ngx_stream_module.so;}"
export EDGE_HTTPS_LISTEN="${EDGE_HTTPS_LISTEN:-443}"
export EDGE_HTTP_LISTEN="${EDGE_HTTP_LISTEN:-80}"
export EDGE_YKC_LISTEN="${EDGE_YKC_LISTEN:-8767}"
export EDGE_TLS_CERT="${EDGE_TLS_CERT:?path to the TLS certificate (PEM, chain included)}"
export EDGE_TLS_KEY="${EDGE_TLS_KEY:?path to the TLS private key (PEM)}"
export EDGE_ROUTER_SERVERS="${EDGE_ROUTER_SERVERS:-server 127.0.0.1:4000;}"
export EDGE_BRIDGE_SERVERS="${EDGE_BRIDGE_SERVERS:-server 127.0.0.1:4100;}"
export EDGE_YKC_SERVERS="${EDGE_YKC_SERVERS:-server 127.0.0.1:4101;}"
export EDGE_ASSETS_SERVERS="${EDGE_ASSETS_SERVERS:-server 127.0.0.1:4002;}"
export EDGE_PAYMENTS_SERVERS="${EDGE_PAYMENTS_SERVERS:-server 127.0.0.1:4005;}"
# the console's built files (npm run build writes console/dist; the edge image has them in /srv/console)
export EDGE_CONSOLE_ROOT="${EDGE_CONSOLE_ROOT:-$(cd "$here/../../.." && pwd)/console/dist}"
mkdir -p "$EDGE_RUN_DIR"
vars='${EDGE_CONF_DIR} ${EDGE_RUN_DIR} ${EDGE_ERROR_LOG} ${EDGE_ACCESS_LOG} ${EDGE_LOAD_MODULES} ${EDGE_HTTPS_LISTEN} ${EDGE_HTTP_LISTEN} ${EDGE_YKC_LISTEN} ${EDGE_TLS_CERT} ${EDGE_TLS_KEY} ${EDGE_ROUTER_SERVERS} ${EDGE_BRIDGE_SERVERS} ${EDGE_YKC_SERVERS} ${EDGE_ASSETS_SERVERS} ${EDGE_PAYMENTS_SERVERS} ${EDGE_CONSOLE_ROOT}'
envsubst "$vars" < "$here/nginx.conf.template" > "$out/nginx.conf"
cp "$here/ocpp-proxy.conf" "$here/diagnostics-proxy.conf" "$here/console-headers.conf" "$out/"
echo "$out/nginx.conf"
