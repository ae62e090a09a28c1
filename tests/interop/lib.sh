# Shared helpers for interop scripts: building/locating meshdns, free ports, waiting, assertions, cleanup.
# Source it: . "$(dirname "$0")/../lib.sh"
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
pids=()
failures=0

cleanup() {
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The Release build .ci/run made; build it if missing (running a script alone).
meshdns_dll() {
  local dll="$repo/src/MeshDns/bin/Release/net10.0/meshdns.dll"
  if [ ! -f "$dll" ]; then
    dotnet build "$repo/src/MeshDns" -c Release -nologo -v q >/dev/null || return 1
  fi
  echo "$dll"
}

# A free TCP+UDP port on 127.0.0.1.
free_port() { python3 "$repo/tests/interop/free-port.py"; }

# start_meshdns COREFILE [LOGFILE]: starts the server in the background, waits until it answers on $2's port.
start_meshdns() {
  local corefile=$1 logfile=${2:-$work/meshdns.log}
  dotnet "$(meshdns_dll)" -conf "$corefile" >"$logfile" 2>&1 &
  pids+=($!)
  echo $!
}

# wait_dns PORT [SECONDS]: until something answers DNS on 127.0.0.1:PORT.
wait_dns() {
  local port=$1 limit=${2:-30} i
  for ((i = 0; i < limit * 10; i++)); do
    dig +time=1 +tries=1 @127.0.0.1 -p "$port" . NS >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# check NAME COMMAND...: PASS when the command succeeds.
check() {
  local name=$1; shift
  if "$@" >"$work/check.out" 2>&1; then pass "$name"; else fail "$name"; sed 's/^/    /' "$work/check.out" | head -20; fi
}

finish() { [ "$failures" -eq 0 ]; }
