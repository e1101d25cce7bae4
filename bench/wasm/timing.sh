# Sourced by the benchmark scripts here: the one way they time a command.
#
# fastest RUNS [--in FILE] [--out FILE] [--fresh-dir DIR] CMD...
#   Runs CMD RUNS times and prints the fastest wall time in seconds (three
#   decimals). --in: stdin from FILE; --out: stdout to FILE (else
#   discarded); --fresh-dir: DIR emptied before each run, untimed.
fastest() {
  local runs=$1; shift
  local in=/dev/null out=/dev/null fresh=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --in) in=$2; shift 2 ;;
      --out) out=$2; shift 2 ;;
      --fresh-dir) fresh=$2; shift 2 ;;
      *) break ;;
    esac
  done
  local best="" s e t
  for _ in $(seq "$runs"); do
    if [[ -n $fresh ]]; then rm -rf "$fresh" && mkdir -p "$fresh"; fi
    s=$(date +%s.%N); "$@" <"$in" >"$out"; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [[ -z $best ]] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
  done
  printf '%.3f' "$best"
}
