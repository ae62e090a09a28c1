#!/usr/bin/env bash
# Runs every tests/interop/*/test.sh. Each prints "PASS name" / "FAIL name" lines and exits non-zero on failure;
# a script that dies without printing a result counts as one failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
status=0
for script in "$here"/*/test.sh; do
  [ -x "$script" ] || continue
  suite=$(basename "$(dirname "$script")")
  echo "--- interop/$suite"
  out=$(mktemp)
  timeout 300 "$script" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
    echo "FAIL $suite (script exited $rc without a result)"
    status=1
  fi
  [ "$rc" -ne 0 ] && status=1
  rm -f "$out"
done
exit $status
