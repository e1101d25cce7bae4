#!/usr/bin/env bash
# What a writable preopen (--dir HOST::GUEST:rw) costs: a program writes
# 1,000 small files, then one 100 MB file, natively, in process and in a
# fresh micro-VM; fastest of N whole runs each, into an empty directory
# every time, and the directories compared with the native run's.
#   bench/wasm/writable_dir.sh [--runs N] [--palisade PATH]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
palisade=$here/../../build/cli/palisade runs=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --palisade) palisade=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--palisade PATH]" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clang -O2 "$here/fs/write_files.c" -o "$work/write_files"
clang --target=wasm32-wasi -O2 "$here/fs/write_files.c" -o "$work/write_files.wasm"

source "$here/timing.sh"

echo "| load | native s | in process s | micro-VM s |"
echo "| --- | ---: | ---: | ---: |"
for load in "1000 0" "0 104857600"; do
  set -- $load
  tn=$(fastest "$runs" --fresh-dir "$work/n" "$work/write_files" "$1" "$2" "$work/n")
  tp=$(fastest "$runs" --fresh-dir "$work/p" "$palisade" run --in-process --dir "$work/p::/w:rw" "$work/write_files.wasm" -- "$1" "$2" /w)
  diff -r "$work/n" "$work/p" >/dev/null || { echo "in process: the directory differs" >&2; exit 1; }
  tv=$(fastest "$runs" --fresh-dir "$work/v" "$palisade" run --dir "$work/v::/w:rw" "$work/write_files.wasm" -- "$1" "$2" /w)
  diff -r "$work/n" "$work/v" >/dev/null || { echo "micro-VM: the directory differs" >&2; exit 1; }
  name=$([[ $1 -gt 0 ]] && echo "1,000 small files" || echo "one 100 MB file, 1 KiB writes")
  printf '| %s | %s | %s (%.1f×) | %s (%.1f×) |\n' "$name" "$tn" "$tp" "$(echo "$tp / $tn" | bc -l)" \
    "$tv" "$(echo "$tv / $tn" | bc -l)"
done
