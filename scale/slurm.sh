#!/usr/bin/env bash
# A one-node Slurm cluster on 127.0.0.1 with accounting (so that `sacct`, the status command of
# Snakemake's Slurm executor, works), for trying `snakemake --profile profiles/slurm` on one machine
# and for the CI test of that profile (tests/services/test_cluster.py):
#
#   scale/slurm.sh up   DIR   # munge, MariaDB + slurmdbd, slurmctld, slurmd; state under DIR
#   scale/slurm.sh down DIR   # stop them, by the PIDs recorded under DIR
#
# Root only (Slurm's daemons, /etc/slurm). Needs Debian's slurm-wlm munge slurmdbd mariadb-server
# (apt install them; .ci/run does). Writes /etc/slurm/slurm.conf and slurmdbd.conf: Snakemake's
# Slurm job step drops every SLURM_* variable before its inner srun, so SLURM_CONF cannot point
# elsewhere. The node offers every CPU of this machine and MEM_MB of memory (default: 80% of it);
# the partition is `debug`, the account `zhpipe` (profiles/slurm/config.yaml names both).
# Slurm 22.05 binds its ports (6817-6819) on every address; the traffic stays on 127.0.0.1.
set -euo pipefail
cmd=${1:?usage: $0 up|down DIR}
DIR=$(mkdir -p "${2:?usage: $0 up|down DIR}" && cd "$2" && pwd)
WAIT_S=${WAIT_S:-60}
MEM_MB=${MEM_MB:-$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)}

stop() {  # stop the process whose PID is in file $1: TERM, up to 20 s, then KILL
  [ -f "$1" ] || return 0
  local pid; pid=$(cat "$1")
  if kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

wait_for() {  # wait_for WHAT COMMAND...: up to WAIT_S seconds for COMMAND to succeed
  local what=$1; shift
  for _ in $(seq $((WAIT_S * 4))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  echo "$what did not come up within ${WAIT_S}s; logs under $DIR/log:" >&2
  tail -n 5 "$DIR"/log/*.log >&2 || true
  exit 1
}

# MariaDB's data folder: DIR/mysql, or, when the mysql user cannot reach DIR (a root-only folder
# such as pytest's), a folder of its own under /tmp, recorded in DIR/mysqldir (down removes it).
if [ -f "$DIR/mysqldir" ]; then
  DB=$(cat "$DIR/mysqldir")
elif id mysql >/dev/null 2>&1 && ! runuser -u mysql -- test -x "$DIR" 2>/dev/null; then
  DB=$(mktemp -d /tmp/zhpipe-mysql.XXXXXX); echo "$DB" > "$DIR/mysqldir"
else
  DB=$DIR/mysql
fi

case $cmd in
up)
  [ "$(id -u)" = 0 ] || { echo "scale/slurm.sh runs Slurm's daemons: run it as root" >&2; exit 3; }
  for exe in slurmctld slurmd slurmdbd munged mariadbd; do
    [ -x "/usr/sbin/$exe" ] || { echo "no /usr/sbin/$exe: apt install slurm-wlm munge slurmdbd" \
      "mariadb-server" >&2; exit 3; }
  done
  if pgrep -x slurmctld >/dev/null; then
    echo "a Slurm controller already runs (pid $(pgrep -x slurmctld | head -1)): stop it first" \
      "(scale/slurm.sh down ITS_DIR)" >&2; exit 3
  fi
  if [ -f /etc/slurm/slurm.conf ] && ! grep -q "written by zhpipe" /etc/slurm/slurm.conf \
      && [ "${FORCE:-0}" != 1 ]; then
    echo "/etc/slurm/slurm.conf exists and is not ours: not overwriting it (FORCE=1 does)" >&2
    exit 3
  fi
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" "$DB" /etc/slurm /run/munge /run/mysqld
  cat > /etc/slurm/slurm.conf <<CONF
# written by zhpipe's scale/slurm.sh: a one-node cluster on 127.0.0.1
ClusterName=zhpipe
SlurmctldHost=localhost
AuthType=auth/munge
SlurmUser=root
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
# no cgroups in containers: track processes by their parent, bind nothing
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
SchedulerParameters=sched_interval=1
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  # munge: Debian's package created /etc/munge/munge.key
  chown munge:munge /run/munge
  if ! { [ -f /run/munge/munged.pid ] && kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null; }
  then
    runuser -u munge -- /usr/sbin/munged
    touch "$DIR/munged.ours"  # started here: `down` stops it
  fi
  wait_for munge sh -c "munge -n | unmunge"
  # accounting: MariaDB (own data folder under DIR) + slurmdbd
  chown mysql:mysql /run/mysqld "$DB"
  if [ ! -d "$DB/mysql" ]; then
    mariadb-install-db --user=mysql --datadir="$DB" --auth-root-authentication-method=socket \
      > "$DIR/log/mariadb-install.log" 2>&1
  fi
  /usr/sbin/mariadbd --user=mysql --datadir="$DB" --bind-address=127.0.0.1 \
    --socket=/run/mysqld/mysqld.sock > "$DIR/log/mariadb.log" 2>&1 &
  echo $! > "$DIR/mariadb.pid"
  wait_for MariaDB mariadb-admin ping
  mariadb -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurm';
              CREATE DATABASE IF NOT EXISTS slurm_acct_db;
              GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"
  cat > /etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=root
LogFile=$DIR/log/slurmdbd.log
PidFile=$DIR/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
CONF
  chmod 600 /etc/slurm/slurmdbd.conf  # slurmdbd refuses a file others can read
  /usr/sbin/slurmdbd
  wait_for slurmdbd sacctmgr -n list cluster
  sacctmgr -i add cluster zhpipe >/dev/null 2>&1 || true  # before slurmctld starts
  /usr/sbin/slurmctld
  /usr/sbin/slurmd
  wait_for "the node" sh -c "sinfo -h -o %T | grep -Eqx 'idle|mixed|allocated'"
  sacctmgr -i add account zhpipe Cluster=zhpipe Description=zhpipe Organization=zhpipe \
    >/dev/null 2>&1 || true
  sacctmgr -i add user "$(id -un)" Account=zhpipe DefaultAccount=zhpipe >/dev/null 2>&1 || true
  echo "Slurm up: partition debug, account zhpipe, $(nproc) CPUs, ${MEM_MB} MB (state in $DIR)"
  ;;
down)
  stop "$DIR/slurmd.pid"; stop "$DIR/slurmctld.pid"; stop "$DIR/slurmdbd.pid"
  stop "$DIR/mariadb.pid"
  if [ -f "$DIR/mysqldir" ]; then rm -rf "$DB" "$DIR/mysqldir"; fi
  # munged: stopped only when `up` started it (one already running serves others too)
  if [ -f "$DIR/munged.ours" ]; then stop /run/munge/munged.pid; rm -f "$DIR/munged.ours"; fi
  ;;
*) echo "usage: $0 up|down DIR" >&2; exit 2 ;;
esac
