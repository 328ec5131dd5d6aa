#!/usr/bin/env bash
# PostgreSQL and Redis for the tests: start them when they are installed here but stopped.
# With CI=true a service that cannot be reached fails the run; otherwise its tests are skipped.
set -uo pipefail
status=0
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    sleep 2
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { echo "PostgreSQL is not reachable at 127.0.0.1:5432"; status=1; }
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  if command -v redis-server >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
    sleep 1
  fi
  (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null || { echo "Redis is not reachable at 127.0.0.1:6379"; status=1; }
fi
if [ $status -ne 0 ] && [ "${CI:-}" = "true" ]; then exit 1; fi
exit 0
