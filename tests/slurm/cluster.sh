#!/usr/bin/env bash
# A one-node SLURM cluster on loopback, for testing the workflow's SLURM profile for real.
#   tests/slurm/cluster.sh start DIR   write DIR/slurm.conf, start munged, slurmctld, slurmd;
#                                      wait until the node is idle; print SLURM_CONF=...
#   tests/slurm/cluster.sh stop DIR    stop the daemons by the PIDs recorded in DIR
# Needs root and Debian's slurmctld slurmd slurm-client munge (.ci/run installs them).
# The node offers 2 CPUs, the physical memory minus 1 GiB and one emulated GPU (a gres backed by
# /dev/null) in two partitions, cpu and gpu, the names profiles/slurm uses. Clients outside jobs
# use SLURM_CONF=DIR/slurm.conf; inside jobs the configuration slurmd caches (configless).
set -euo pipefail
action=${1:?usage: cluster.sh start|stop DIR}
dir=$(realpath -m "${2:?usage: cluster.sh start|stop DIR}")

stop() {
  for name in slurmd slurmctld munged; do
    if [[ -f "$dir/$name.pid" ]]; then
      pid=$(cat "$dir/$name.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/$name.pid"
    fi
  done
  if [[ -f "$dir/munge_dir" ]]; then
    rm -rf "$(cat "$dir/munge_dir")" "$dir/munge_dir"
  fi
}

if [[ $action == stop ]]; then
  stop
  exit 0
fi
[[ $action == start ]] || { echo "usage: cluster.sh start|stop DIR" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "cluster.sh: needs root (slurmd runs jobs as their users)" >&2; exit 2; }
for tool in munged slurmctld slurmd sinfo sbatch; do
  command -v "$tool" >/dev/null || {
    echo "cluster.sh: $tool not found; apt-get install slurmctld slurmd slurm-client munge" >&2
    exit 2
  }
done

mkdir -p "$dir/state" "$dir/spool"
# munged runs as user munge, which cannot enter a private folder such as pytest's: its pid, log
# and seed live in a folder of its own (removed by stop).
munge=$(mktemp -d /tmp/steelseg-munge.XXXXXX)
echo "$munge" >"$dir/munge_dir"
chown munge:munge "$munge"
cpus=$(nproc)
cpus=$((cpus < 2 ? cpus : 2))
# slurmd checks RealMemory against the physical memory (not the free memory of the moment).
memory=$(awk '/MemTotal/ {print int($2 / 1024) - 1024}' /proc/meminfo)
cat >"$dir/slurm.conf" <<EOF
ClusterName=steelseg-test
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=3600
# (finished jobs stay in squeue/scontrol an hour: the status checks and the test read them)
SchedulerType=sched/backfill
SlurmctldParameters=enable_configless
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory Gres=gpu:1 State=UNKNOWN
PartitionName=cpu Nodes=localhost Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=localhost MaxTime=INFINITE State=UP
EOF
cat >"$dir/gres.conf" <<EOF
AutoDetect=off
NodeName=localhost Name=gpu File=/dev/null
EOF

export SLURM_CONF=$dir/slurm.conf
trap 'stop' ERR
# The socket goes where munge clients look by default: slurmd in configless mode must
# authenticate before it has the configuration that could name another one.
mkdir -p /run/munge
chown munge:munge /run/munge
chmod 755 /run/munge
runuser -u munge -- munged --socket=/run/munge/munge.socket.2 \
  --pid-file="$munge/munged.pid" --log-file="$munge/munged.log" --seed-file="$munge/seed"
for _ in $(seq 50); do [[ -s $munge/munged.pid ]] && break; sleep 0.1; done
cp "$munge/munged.pid" "$dir/munged.pid"
slurmctld -f "$dir/slurm.conf"
# Configless, as many sites run: slurmd fetches the configuration from slurmctld and caches it in
# /run/slurm/conf, where commands inside a job find it. (The jobstep plugin strips SLURM_CONF
# from the environment of its nested srun.)
slurmd --conf-server "127.0.0.1:16817" -N localhost
for _ in $(seq 120); do
  if sinfo -h -N -o '%t' 2>/dev/null | grep -qx 'idle'; then
    echo "SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.5
done
echo "cluster.sh: the node did not become idle in 60 s; see $dir/slurmctld.log and slurmd.log" >&2
sinfo -N -l >&2 || true
stop
exit 1
