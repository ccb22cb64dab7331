#!/usr/bin/env bash
# An MLflow tracking server on PostgreSQL, on 127.0.0.1, for a team (or a test) to log to:
#
#   scale/mlflow-server.sh up   DIR   # PostgreSQL cluster + `mlflow server`, state under DIR
#   scale/mlflow-server.sh down DIR [--purge]  # stop both, by the PIDs recorded under DIR
#                                             # (--purge: also delete a cluster kept in /tmp)
#
# then `export MLFLOW_TRACKING_URI=http://127.0.0.1:$MLFLOW_PORT` (or tracking.uri in params.yaml)
# and every stage logs there. Needs Debian's postgresql (apt install postgresql) and, in the venv
# whose `mlflow` runs the server, psycopg2-binary (in requirements/lock.txt). Runs as root (CI,
# containers: initdb and the server run as the `postgres` user) or as an ordinary user.
# Knobs: PG_PORT (5433), MLFLOW_PORT (5055), MLFLOW (the mlflow executable; default the one on
# PATH), WAIT_S (120: `import mlflow` is slow on a loaded machine).
set -euo pipefail
cmd=${1:?usage: $0 up|down DIR}
DIR=$(mkdir -p "${2:?usage: $0 up|down DIR}" && cd "$2" && pwd)
PG_PORT=${PG_PORT:-5433}
MLFLOW_PORT=${MLFLOW_PORT:-5055}
MLFLOW=${MLFLOW:-$(command -v mlflow || true)}
WAIT_S=${WAIT_S:-120}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

as_pg() {  # run a PostgreSQL tool as the postgres user when we are root (initdb refuses root)
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The cluster's folder: DIR/pg, or, when the postgres user cannot reach DIR (a root-only folder
# such as pytest's), a folder of its own under /tmp; its path is kept in DIR/pgdir.
if [ -f "$DIR/pgdir" ]; then
  PG=$(cat "$DIR/pgdir")
elif [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$DIR" 2>/dev/null; then
  PG=$(mktemp -d /tmp/zhpipe-pg.XXXXXX)
  echo "$PG" > "$DIR/pgdir"
else
  PG=$DIR/pg
fi

case $cmd in
up)
  [ -n "$PGBIN" ] || { echo "no PostgreSQL server binaries: apt install postgresql" >&2; exit 3; }
  [ -x "$MLFLOW" ] || { echo "no mlflow executable (set MLFLOW or activate the venv)" >&2; exit 3; }
  mkdir -p "$PG" "$DIR/artifacts"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PG"; fi
  if [ ! -d "$PG/data" ]; then
    as_pg "$PGBIN/initdb" -D "$PG/data" -A trust -U postgres >/dev/null
  fi
  as_pg "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/pg.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG" start >/dev/null
  psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -tc \
    "SELECT 1 FROM pg_roles WHERE rolname = 'mlflow'" | grep -q 1 || \
    psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres \
      -c "CREATE USER mlflow PASSWORD 'mlflow'" -c "CREATE DATABASE mlflow OWNER mlflow"
  "$MLFLOW" server --backend-store-uri "postgresql://mlflow:mlflow@127.0.0.1:$PG_PORT/mlflow" \
    --artifacts-destination "$DIR/artifacts" --serve-artifacts \
    --host 127.0.0.1 --port "$MLFLOW_PORT" --workers 1 > "$DIR/server.log" 2>&1 &
  echo $! > "$DIR/mlflow.pid"
  for _ in $(seq $((WAIT_S * 2))); do
    curl -sf "http://127.0.0.1:$MLFLOW_PORT/health" >/dev/null && {
      echo "MLflow server on http://127.0.0.1:$MLFLOW_PORT (PostgreSQL :$PG_PORT, state in $DIR)"
      exit 0; }
    kill -0 "$(cat "$DIR/mlflow.pid")" 2>/dev/null || break
    sleep 0.5
  done
  echo "the MLflow server did not come up; its log, $DIR/server.log:" >&2
  tail -20 "$DIR/server.log" >&2
  exit 1
  ;;
down)
  if [ -f "$DIR/mlflow.pid" ]; then
    pid=$(cat "$DIR/mlflow.pid")
    pkill -TERM -P "$pid" 2>/dev/null || true  # its gunicorn/uvicorn workers
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$DIR/mlflow.pid"
  fi
  if [ -n "$PGBIN" ] && [ -f "$PG/data/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$PG/data" -m fast -w stop >/dev/null || true
  fi
  if [ "${3:-}" = "--purge" ] && [ -f "$DIR/pgdir" ]; then rm -rf "$PG" "$DIR/pgdir"; fi
  ;;
*) echo "usage: $0 up|down DIR" >&2; exit 2 ;;
esac
