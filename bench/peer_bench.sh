#!/usr/bin/env bash
# The clients list next to PostGraphile v4 and the asyncpg floor, in one run
# (../shared/bench/peer_compare.sh: the same 100,000 clients on the same PostgreSQL), with
# 1 and 2 workers, the planned path on and then off (GQL_CRM_FAST_PATH=false: the executor).
#
# usage (from the project root, after the README's install): bench/peer_bench.sh [SECONDS] [CONNECTIONS]
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and node/npm; installs wrk and
# PostGraphile on first use; listens on 5678-5680.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}; conns=${2:-8}
# ../shared beside the repository (a git worktree one level deeper finds it one more up)
compare=${PEER_COMPARE:-}
for dir in ../shared ../../shared; do
  [ -n "$compare" ] || [ ! -x "$dir/bench/peer_compare.sh" ] || compare=$dir/bench/peer_compare.sh
done
[ -n "$compare" ] || { echo "no ../shared/bench/peer_compare.sh (set PEER_COMPARE)"; exit 1; }
# A run's servers may still hold their ports for a moment after it returns; the next run
# refuses taken ports.
ports_free() {
  for port in 5678 5679 5680; do
    for _ in $(seq 60); do
      (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null || continue 2
      sleep 0.5
    done
    echo "port $port is still taken"; exit 1
  done
}
for workers in 1 2; do
  ports_free
  echo "== planned path, $workers worker(s)"
  "$compare" "$secs" "$conns" "$workers"
done
ports_free
echo "== executor only (GQL_CRM_FAST_PATH=false), 1 worker"
GQL_CRM_FAST_PATH=false "$compare" "$secs" "$conns" 1
