#!/usr/bin/env bash
# Installs the AWS SDK v3 that Lambda's Node.js runtimes provide (embedded_localstack/runtimes/node_sdk, exact
# versions from its package-lock.json) into .venv/lambda-node-runtime/node_modules, where embedded
# mode's Node.js functions find it (NODE_PATH), as /var/runtime/node_modules on Lambda. Idempotent: a
# stamp holds the lock file's hash. npm is needed because the shop has a Node.js function.
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE=embedded_localstack/runtimes/node_sdk
TARGET=.venv/lambda-node-runtime
STAMP="$TARGET/.package-lock.sha256"
want=$(sha256sum "$SOURCE/package-lock.json" | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -d "$TARGET/node_modules/@aws-sdk" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "npm not found: the shop has a Node.js function (its SDK and esbuild are installed with npm)." \
       "Install Node.js 20 with npm (e.g. apt-get install nodejs npm, or nodejs.org), then run make up again." >&2
  exit 1
fi
start=$(date +%s)
rm -rf "$TARGET"
mkdir -p "$TARGET"
cp "$SOURCE/package.json" "$SOURCE/package-lock.json" "$TARGET/"
log=$(mktemp)
if ! (cd "$TARGET" && npm ci --ignore-scripts --no-audit --no-fund) >"$log" 2>&1; then
  tail -40 "$log" >&2
  echo "installing the AWS SDK for embedded Node.js functions failed (full log: $log)" >&2
  exit 1
fi
echo "$want" > "$STAMP"
echo "==> AWS SDK for Node.js functions installed in $(( $(date +%s) - start )) s: $TARGET/node_modules"
