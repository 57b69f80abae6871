#!/usr/bin/env bash
# A real single-node SLURM on localhost, for netspec's cluster test, kept inside STATE_DIR.
#   slurm.sh start STATE_DIR   install (apt) if needed; start a munged, slurmctld and slurmd of
#                              its own whose configuration, sockets, state, logs and pid files
#                              are all in STATE_DIR (export SLURM_CONF=STATE_DIR/slurm.conf to
#                              talk to it, and put STATE_DIR/bin first on PATH for the `srun`
#                              inside jobs); the system's /etc/slurm, /etc/munge, /var/spool,
#                              /var/log, /run are neither read for state nor written
#   slurm.sh stop STATE_DIR    stop the daemons this script started, by PID, and purge the
#                              packages it installed (with SLURM's client installed and no
#                              controller, every later `snakemake` start costs ~9 s: the SLURM
#                              executor plugin probes sacct/squeue when it is loaded)
# Needs root and apt-get (Debian). Facts behind each step: shared/notes/slurm-local.md.
set -euo pipefail
action=${1:?usage: slurm.sh start|stop STATE_DIR}
state=${2:?usage: slurm.sh start|stop STATE_DIR}
mkdir -p "$state"
state=$(cd "$state" && pwd)
export SLURM_CONF=$state/slurm.conf
export DEBIAN_FRONTEND=noninteractive
# What the packages' purge scripts delete (rm -rf /etc/slurm among them): copied before the
# install where it already exists, put back after the purge (same bytes, mode, owner, mtime).
PACKAGE_PATHS=(etc/slurm etc/slurm-llnl etc/munge var/lib/munge var/log/munge var/lib/slurm
  var/lib/slurm-llnl var/log/slurm var/log/slurm-llnl)

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

installed_packages() {
  dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' | sort
}

install_packages() {
  command -v apt-get >/dev/null || { echo "slurm.sh: needs apt-get" >&2; exit 2; }
  local existing=() path
  for path in "${PACKAGE_PATHS[@]}"; do
    if [ -e "/$path" ]; then existing+=("$path"); fi
  done
  if [ ${#existing[@]} -gt 0 ]; then
    tar -C / --format=posix -cpf "$state/preexisting.tar" "${existing[@]}"
  fi
  installed_packages >"$state/packages.before"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends munge slurmctld slurmd slurm-client \
    >"$state/apt.log" 2>&1 || { cat "$state/apt.log" >&2; exit 1; }
  # Exactly what this install added (dependencies included), for `stop` to purge.
  installed_packages | comm -13 "$state/packages.before" - >"$state/installed"
}

free_ports() { # two TCP ports nobody listens on: a site's own SLURM keeps 6817/6818
  python3 -c 'import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets:
    s.bind(("", 0))
print(*(s.getsockname()[1] for s in sockets))'
}

start() {
  if [ "$(id -u)" != 0 ]; then echo "slurm.sh: needs root" >&2; exit 2; fi
  if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
    ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    install_packages
  fi
  mkdir -p "$state/munge" "$state/slurmctld" "$state/slurmd" "$state/log" "$state/run"
  chmod 700 "$state/munge"

  # munged of our own: its key, socket, pid, log and seed in STATE_DIR. It runs as root, which
  # all its clients here are: the munge user may not be able to enter a temporary folder
  # (pytest's are 0700), and --force accepts a socket folder that others cannot reach.
  mungekey --create --keyfile="$state/munge/munge.key" 2>/dev/null ||
    dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 2>/dev/null
  chmod 400 "$state/munge/munge.key"
  /usr/sbin/munged --force --socket="$state/munge/munge.socket" \
    --key-file="$state/munge/munge.key" --pid-file="$state/munge/munged.pid" \
    --log-file="$state/munge/munged.log" --seed-file="$state/munge/munged.seed"
  # munged forks into the background: record the daemon, once its socket is up.
  wait_for 10 "munged listening" test -S "$state/munge/munge.socket"
  wait_for 10 "munged's pid file" test -s "$state/munge/munged.pid"
  cat "$state/munge/munged.pid" >"$state/munged.pid"

  local node cpus memory ports
  node=$(hostname -s)
  cpus=$(nproc)
  memory=$(($(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) - 1024))
  read -ra ports <<<"$(free_ports)"
  sed -e "s|@NODE@|$node|" -e "s|@CPUS@|$cpus|" -e "s|@MEMORY@|$memory|" \
    -e "s|@STATE@|$state|g" -e "s|@CTLD_PORT@|${ports[0]}|" -e "s|@SLURMD_PORT@|${ports[1]}|" \
    "$(dirname "$0")/slurm.conf.in" >"$SLURM_CONF"
  # Inside each job the slurm-jobstep executor runs `srun` with the SLURM_* variables removed,
  # SLURM_CONF too, so that srun would read /etc/slurm/slurm.conf: this srun, first on the
  # job's PATH (sbatch --export=ALL), puts SLURM_CONF back.
  local srun
  srun=$(type -ap srun | grep -m 1 -v "^$state/")
  mkdir -p "$state/bin"
  printf '#!/bin/sh\nSLURM_CONF=%q exec %q "$@"\n' "$SLURM_CONF" "$srun" >"$state/bin/srun"
  chmod 755 "$state/bin/srun"
  # The daemons write their own pid files in $state/run; these are the script's records.
  slurmctld -D -i >"$state/slurmctld.out" 2>&1 &
  echo $! >"$state/slurmctld.pid"
  wait_for 30 "slurmctld answering" bash -c "scontrol ping | grep -q UP"
  slurmd -D >"$state/slurmd.out" 2>&1 &
  echo $! >"$state/slurmd.pid"
  wait_for 30 "the node becoming idle" bash -c "sinfo -h -o %t | grep -q idle"
  echo "slurm.sh: SLURM up on $node ($cpus CPUs, $memory MB, ports ${ports[*]});" \
    "SLURM_CONF=$SLURM_CONF"
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
  if [ -s "$state/installed" ]; then
    # shellcheck disable=SC2046 # one package name per word
    apt-get purge -y -qq $(cat "$state/installed") >>"$state/apt.log" 2>&1 ||
      echo "slurm.sh: could not purge $(tr '\n' ' ' <"$state/installed")" >&2
    if [ -f "$state/preexisting.tar" ]; then # what the purge removed and was there before
      tar -C / -xpf "$state/preexisting.tar" --skip-old-files
      rm -f "$state/preexisting.tar"
    fi
  fi
  rm -f "$state/installed"
  echo "slurm.sh: stopped"
}

"$action"
