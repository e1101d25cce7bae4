#!/usr/bin/env bash
# InvokeModule through nginx (deploy/nginx) to 1, 2 and 3 palisaded replicas
# on this machine, beside the same load sent straight to the replicas
# (client-side round_robin) and the RPC alone (GetStats, no VM) both ways;
# then a failover: one of three replicas killed with SIGKILL mid-run.
#   bench/server/fleet.sh BUILD_DIR [SECONDS] [CONCURRENCY]
# All replicas, nginx and the load generator share this machine's cores:
# the figures show the balancer's cost and that replicas add no loss, not
# how a fleet of separate machines scales (docs/BENCHMARKS.md).
set -euo pipefail
build=$(cd "$1" && pwd)
secs=${2:-5}
conc=${3:-8}
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [[ -f $tmp/nginx.pid ]] && kill -QUIT "$(cat "$tmp/nginx.pid")" 2>/dev/null
  wait 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
module=$build/tests/wasm_modules/counter.wasm
hash=$(printf %s bench-token | sha256sum | cut -d' ' -f1)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_replicas() {  # start_replicas N: sets addrs[] and names[]
  addrs=() names=()
  for i in $(seq 1 "$1"); do
    local d=$tmp/r$i.$RANDOM; mkdir -p "$d"
    printf 'listen: "127.0.0.1:0"\nreplica: "r%s"\naudit_log: "%s/audit.jsonl"\ntenants { name: "bench" token_sha256: "%s" }\n' \
      "$i" "$d" "$hash" >"$d/config.textproto"
    "$build/server/palisaded" --config "$d/config.textproto" >"$d/out" 2>"$d/err" &
    pids+=($!)
    for _ in $(seq 100); do grep -q 'listening on' "$d/out" 2>/dev/null && break; sleep 0.05; done
    addrs+=("$(sed -n 's/.*listening on //p' "$d/out")"); names+=("r$i")
  done
}
stop_replicas() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
set +m  # no job-control notices for the replicas killed on purpose

start_nginx() {
  lb_port=$(free_port)
  {
    echo "daemon on; worker_processes 1; pid $tmp/nginx.pid; error_log $tmp/nginx.err warn;"
    echo "events { worker_connections 4096; } http { access_log off; client_body_temp_path $tmp/body;"
    echo "upstream palisade_all {"; for a in "${addrs[@]}"; do echo "server $a max_fails=1 fail_timeout=5s;"; done; echo "keepalive 64; }"
    for i in "${!addrs[@]}"; do echo "upstream palisade_replica_${names[$i]} { server ${addrs[$i]}; }"; done
    echo "include $src/deploy/nginx/palisade-map.conf;"
    echo "server { listen 127.0.0.1:$lb_port http2; include $src/deploy/nginx/palisade-grpc.conf; } }"
  } >"$tmp/nginx.conf"
  nginx -c "$tmp/nginx.conf" -e "$tmp/nginx.err"
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$lb_port) 2>/dev/null && break; sleep 0.05; done
}
stop_nginx() { kill -QUIT "$(cat "$tmp/nginx.pid")"; sleep 0.3; rm -f "$tmp/nginx.pid"; }

load() {  # load SERVER [stats] -> one table cell group
  local what=(invoke "$module" bump); [[ ${2:-} == stats ]] && what=(stats)
  local line
  line=$(PALISADE_TOKEN=bench-token "$build/cli/palisade" --server "$1" bench "${what[@]}" --json \
         --concurrency "$conc" --duration "${secs}s" --warmup 1s | grep '^{')
  get() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p" <<<"$line"; }
  printf '%.0f | %.3f | %.3f | %s' "$(get calls_per_second)" "$(get p50_ms)" "$(get p99_ms)" "$(get failed)"
}

echo "| replicas | path | InvokeModule calls/s | p50 ms | p99 ms | failed | GetStats calls/s | p50 ms | p99 ms | failed |"
echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for n in 1 2 3; do
  start_replicas "$n"
  start_nginx
  direct=$(IFS=,; echo "${addrs[*]}")
  echo "| $n | direct (round_robin) | $(load "$direct") | $(load "$direct" stats) |"
  echo "| $n | through nginx | $(load "127.0.0.1:$lb_port") | $(load "127.0.0.1:$lb_port" stats) |"
  stop_nginx
  stop_replicas
done

echo
kill_at=$(( secs / 2 ))
echo "Failover: 3 replicas behind nginx, concurrency $conc, r2 killed with SIGKILL ${kill_at} s into a ${secs} s run"
echo "(max latency: the calls that were on r2, retried elsewhere):"
start_replicas 3
start_nginx
( sleep $(( 1 + kill_at )); kill -9 "${pids[1]}" ) &
PALISADE_TOKEN=bench-token "$build/cli/palisade" --server "127.0.0.1:$lb_port" bench invoke \
  --concurrency "$conc" --duration "${secs}s" --warmup 1s "$module" bump
wait
