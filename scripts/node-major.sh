#!/usr/bin/env bash
# `make node MAJOR=<N>`: installs the newest Node.js <N> from the npm registry into build/node/<N>/
# (EMBEDDED_LAMBDA_NODE_INSTALLS moves it), where embedded mode finds it for nodejs<N>.x functions
# (embedded_localstack/runtimes/node_majors.py). The registry's node-<os>-<arch> packages carry the official
# binary; npm's cache keeps the download, so a second install works offline. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
major=${1:-}
if ! [[ "$major" =~ ^[0-9]+$ ]]; then
  echo "usage: make node MAJOR=<N>, e.g. make node MAJOR=18 for nodejs18.x functions" >&2
  exit 2
fi
target="${EMBEDDED_LAMBDA_NODE_INSTALLS:-build/node}/$major"
if [ -x "$target/bin/node" ] && [[ "$("$target/bin/node" --version 2>/dev/null)" == "v$major."* ]]; then
  echo "==> Node.js $major already installed: $target/bin/node ($("$target/bin/node" --version))"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "npm not found: make node installs Node.js majors from the npm registry with it." \
       "Install Node.js with npm (e.g. apt-get install nodejs npm, or nodejs.org), then run make node again." >&2
  exit 1
fi
case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "make node: no npm package of node for $(uname -s)" >&2; exit 1 ;; esac
case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) echo "make node: no npm package of node for $(uname -m)" >&2; exit 1 ;; esac
package="node-$os-$arch"
start=$(date +%s)
newest='let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
  const all = [].concat(JSON.parse(s || "[]")).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  const key = (v) => v.split(".").map(Number);
  all.sort((a, b) => { const [x, y] = [key(a), key(b)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
  console.log(all.pop() || "");
});'
version=$(npm view "$package@$major" version --json 2>/dev/null | node -e "$newest")
if [ -z "$version" ]; then
  echo "make node: the npm registry has no $package of Node.js $major (is MAJOR right? is the registry reachable?)" >&2
  exit 1
fi
echo "==> installing Node.js $version ($package from the npm registry) into $target"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "$package@$version" --silent >/dev/null)
tar -xzf "$work/$package-$version.tgz" -C "$work"
if [ ! -x "$work/package/bin/node" ]; then
  echo "make node: $package@$version holds no bin/node" >&2
  exit 1
fi
mkdir -p "$(dirname "$target")"
rm -rf "$target"
mv "$work/package" "$target"
echo "==> Node.js $("$target/bin/node" --version) installed in $(( $(date +%s) - start )) s: $target/bin/node"
