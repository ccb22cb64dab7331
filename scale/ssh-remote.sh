#!/usr/bin/env bash
# An SSH server on 127.0.0.1 that holds a DVC remote, for trying `dvc push` / `dvc pull` over SSH
# on one machine and for the CI test of it (tests/services/test_cluster.py):
#
#   scale/ssh-remote.sh up   DIR   # sshd on 127.0.0.1:$SSH_PORT (2222), key login only
#   scale/ssh-remote.sh down DIR   # stop it, by the PID recorded under DIR
#
# `up` makes a host key and a client key pair (DIR/client_ed25519), authorises that key for
# the current user, and prints the dvc commands that use it; the remote's files go to DIR/store.
# Needs Debian's openssh-server (apt install openssh-server) and dvc[ssh] (in the lock).
set -euo pipefail
cmd=${1:?usage: $0 up|down DIR}
DIR=$(mkdir -p "${2:?usage: $0 up|down DIR}" && cd "$2" && pwd)
SSH_PORT=${SSH_PORT:-2222}

case $cmd in
up)
  [ -x /usr/sbin/sshd ] || { echo "no /usr/sbin/sshd: apt install openssh-server" >&2; exit 3; }
  mkdir -p "$DIR/store"
  chmod 700 "$DIR"
  [ -f "$DIR/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$DIR/host_ed25519"
  [ -f "$DIR/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$DIR/client_ed25519"
  cp "$DIR/client_ed25519.pub" "$DIR/authorized_keys"
  cat > "$DIR/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $SSH_PORT
HostKey $DIR/host_ed25519
PidFile $DIR/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
Subsystem sftp internal-sftp
CONF
  mkdir -p /run/sshd 2>/dev/null || true  # privilege separation folder (sshd needs it as root)
  /usr/sbin/sshd -f "$DIR/sshd_config" -E "$DIR/sshd.log"
  for _ in $(seq 40); do [ -s "$DIR/sshd.pid" ] && break; sleep 0.25; done
  [ -s "$DIR/sshd.pid" ] || { echo "sshd did not start; $DIR/sshd.log:" >&2;
                              tail -5 "$DIR/sshd.log" >&2; exit 1; }
  cat <<MSG
sshd on 127.0.0.1:$SSH_PORT; a DVC remote there:
  dvc remote add -d team ssh://127.0.0.1:$SSH_PORT$DIR/store
  dvc remote modify team user $(id -un)
  dvc remote modify --local team keyfile $DIR/client_ed25519
MSG
  ;;
down)
  if [ -f "$DIR/sshd.pid" ]; then
    pid=$(cat "$DIR/sshd.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$DIR/sshd.pid"
  fi
  ;;
*) echo "usage: $0 up|down DIR" >&2; exit 2 ;;
esac
