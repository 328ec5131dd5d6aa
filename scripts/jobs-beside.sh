#!/usr/bin/env bash
# Started by `make run` beside gunicorn: the minute scheduler (`flask jobs scheduler`) and, where REDIS_URL
# is set, one RQ worker (`flask jobs worker`). Without REDIS_URL the web processes send deliveries
# themselves after each response and the scheduler runs the periodic work in its own process.
# Both stop when the process given as $1 (make) has ended.
set -uo pipefail
watch_pid=${1:?the pid to outlive}
flask=${FLASK:-.venv/bin/flask --app deliberation}
pids=()
$flask jobs scheduler & pids+=($!)
if [ -n "${REDIS_URL:-}" ]; then
  $flask jobs worker & pids+=($!)
  echo "Jobs: a worker on $REDIS_URL and the scheduler run beside the server."
else
  echo "Jobs: no REDIS_URL — deliveries are sent by the server's own processes; the scheduler runs beside it."
fi
stop() { kill -TERM "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; exit 0; }
trap stop TERM INT HUP
while kill -0 "$watch_pid" 2>/dev/null; do sleep 1; done
stop
