#!/usr/bin/env bash
# A real single-node SLURM on localhost, for netspec's cluster test.
#   slurm.sh start STATE_DIR   install (apt) if needed, configure, start munged/slurmctld/slurmd
#   slurm.sh stop STATE_DIR    stop the daemons this script started, by PID, and remove the
#                              packages it installed: with SLURM's client installed and no
#                              controller, every later `snakemake` start costs ~9 s (the SLURM
#                              executor plugin probes sacct/squeue when it is loaded)
# Needs root and apt-get (Debian). Facts behind each step: shared/notes/slurm-local.md.
set -euo pipefail
action=${1:?usage: slurm.sh start|stop STATE_DIR}
state=${2:?usage: slurm.sh start|stop STATE_DIR}
mkdir -p "$state"

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2
  shift 2
  for _ in $(seq $((limit * 10))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "slurm.sh: $what did not happen within ${limit}s" >&2
  return 1
}

start() {
  if [ "$(id -u)" != 0 ]; then echo "slurm.sh: needs root" >&2; exit 2; fi
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    command -v apt-get >/dev/null || { echo "slurm.sh: needs apt-get" >&2; exit 2; }
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      munge slurmctld slurmd slurm-client >"$state/apt.log" 2>&1
    echo "slurmctld slurmd slurm-client" >"$state/installed"
  fi
  install -d -o munge -g munge /run/munge
  [ -f /etc/munge/munge.key ] || { /usr/sbin/mungekey --create 2>/dev/null || \
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null; }
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  if ! pgrep -x munged >/dev/null; then
    runuser -u munge -- /usr/sbin/munged
    # munged forks into the background: record the daemon, once its socket is up.
    wait_for 10 "munged listening" test -S /run/munge/munge.socket.2
    cat /run/munge/munged.pid >"$state/munged.pid"
  fi
  mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
  local node cpus memory
  node=$(hostname -s)
  cpus=$(nproc)
  memory=$(($(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) - 1024))
  sed -e "s/@NODE@/$node/" -e "s/@CPUS@/$cpus/" -e "s/@MEMORY@/$memory/" \
    "$(dirname "$0")/slurm.conf.in" >/etc/slurm/slurm.conf
  slurmctld -D -i >"$state/slurmctld.out" 2>&1 &
  echo $! >"$state/slurmctld.pid"
  wait_for 30 "slurmctld answering" bash -c "scontrol ping | grep -q UP"
  slurmd -D >"$state/slurmd.out" 2>&1 &
  echo $! >"$state/slurmd.pid"
  wait_for 30 "the node becoming idle" bash -c "sinfo -h -o %t | grep -q idle"
  echo "slurm.sh: SLURM up on $node ($cpus CPUs, $memory MB)"
}

stop() {
  local pid
  for daemon in slurmd slurmctld munged; do
    [ -f "$state/$daemon.pid" ] || continue
    pid=$(cat "$state/$daemon.pid")
    kill "$pid" 2>/dev/null || true
    wait_for 30 "$daemon ($pid) exiting" bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
    rm -f "$state/$daemon.pid"
  done
  if [ -f "$state/installed" ]; then
    # shellcheck disable=SC2046 # one package name per word
    DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq $(cat "$state/installed") \
      >>"$state/apt.log" 2>&1 || echo "slurm.sh: could not remove $(cat "$state/installed")" >&2
    rm -f "$state/installed"
  fi
  echo "slurm.sh: stopped"
}

"$action"
