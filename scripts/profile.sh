#!/usr/bin/env bash
# `BENCH=<name> make profile`: records LocalStack's process with py-spy while that benchmark runs
# (bench/__main__.py lists them; default poll_orders), and writes a flame graph to build/profile/.
# Embedded mode only: py-spy samples the host process (as root, or with ptrace allowed for your user).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != --with-localstack ]; then
  exec scripts/with-localstack.sh scripts/profile.sh --with-localstack "$@"
fi
bench=${BENCH:-poll_orders}
pid=$(.venv/bin/python -c 'from embedded_localstack import Instance; p = Instance.from_env().running(remove_stale=False); print(p.pid if p else "")')
if [ -z "$pid" ]; then
  echo "no embedded LocalStack to profile (Docker mode is not supported: py-spy needs the host process)" >&2
  exit 1
fi
mkdir -p build/profile
svg="build/profile/${bench//,/+}-$(date -u +%Y%m%dT%H%M%SZ).svg"
# --gil: only the thread holding the GIL is sampled, so a width is a share of the one core LocalStack's
# Python code can use (threads blocked in waitpid or read would otherwise look busy). --nonblocking: the
# process is not paused for each sample, so the benchmark runs as it would. PROFILE_ARGS adds options.
.venv/bin/py-spy record --pid "$pid" --rate "${PROFILE_RATE:-100}" --output "$svg" --format flamegraph --gil --nonblocking ${PROFILE_ARGS:-} &
spy=$!
trap 'kill -INT $spy 2>/dev/null || true' EXIT
sleep 1  # py-spy attaches
if ! kill -0 $spy 2>/dev/null; then
  wait $spy || true
  echo "py-spy did not start (see above); nothing profiled" >&2
  exit 1
fi
BENCH=$bench .venv/bin/python -m bench
kill -INT $spy
wait $spy || true
trap - EXIT
echo "==> flame graph: $svg (open it in a browser; docs/performance.md says how to read it)"
