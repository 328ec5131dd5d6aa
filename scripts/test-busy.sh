#!/usr/bin/env bash
# Run `make test` while the machine is kept busy, to show the suite does not need a quiet machine.
#
#   scripts/test-busy.sh            one CPU burner per core for the whole run
#   scripts/test-busy.sh --twice    a second copy of the suite at the same time, on databases of
#                                   its own (PostgreSQL `test_busy`, Redis db 7, its own temp folder)
#
# Extra arguments after the mode go to `make test` (e.g. PYTEST_WORKERS=2). The exit status is
# `make test`'s; the burners and the second copy are stopped when it ends.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=burn
if [ "${1:-}" = "--twice" ]; then mode=twice; shift; fi

make --no-print-directory system-packages .venv/.installed-test translations services >/dev/null || exit 1

helpers=()
stop_helpers() {
  for pid in "${helpers[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
}
trap stop_helpers EXIT

if [ "$mode" = burn ]; then
  for _ in $(seq "$(nproc)"); do
    setsid .venv/bin/python -c "while True: pass" &
    helpers+=($!)
  done
  echo "== $(nproc) CPU burners running =="
else
  log=$(mktemp -t deliberation-second-run.XXXXXX)
  setsid bash -c 'while true; do
      TEST_DATABASE_URL= TEST_REDIS_URL=redis://127.0.0.1:6379/7 \
        .venv/bin/pytest -q -n auto --dist loadfile -p no:cacheprovider --basetemp=/tmp/deliberation-busy-sqlite tests e2e
      TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test_busy TEST_REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/pytest -q -n auto --dist loadfile -p no:cacheprovider --basetemp=/tmp/deliberation-busy-pg tests
    done' >"$log" 2>&1 &
  helpers+=($!)
  echo "== a second copy of the suite is running (log: $log) =="
fi

started=$(date +%s)
make --no-print-directory test "$@"
status=$?
echo "== make test under load ($mode): exit $status after $(( $(date +%s) - started )) s =="
exit $status
