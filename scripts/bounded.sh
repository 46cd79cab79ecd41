# Sourced by scripts/localenv.sh and scripts/test-docker.sh.
# bounded SECONDS COMMAND...: runs COMMAND, stopped after SECONDS where a `timeout` tool exists: GNU
# `timeout`, or `gtimeout` (coreutils from Homebrew on macOS). Stock macOS has neither; there the
# command runs unbounded rather than not at all (a missing `timeout` must not look like a failing
# `docker info`, which would silently choose embedded mode).
bounded() {
  local seconds=$1
  shift
  if command -v timeout >/dev/null; then
    timeout "$seconds" "$@"
  elif command -v gtimeout >/dev/null; then
    gtimeout "$seconds" "$@"
  else
    "$@"
  fi
}
