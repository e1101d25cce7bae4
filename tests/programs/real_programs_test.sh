#!/usr/bin/env bash
# Real programs, built from Debian's source packages by build.sh, give the
# same output natively, in process and in micro-VMs (both tiers where it
# is cheap): the Lua 5.4 interpreter on a script, zlib's minigzip and bzip2
# compressing and decompressing real files, byte for byte; and minigzip and
# Lua writing files in a writable directory leave it as native runs do.
#   real_programs_test.sh PALISADE PROGRAMS_DIR
# Exits 77 (skipped) when the programs were not built: their sources come
# with `scripts/dev.sh deps`.
set -uo pipefail
palisade=$(realpath -m "$1") dir=$(realpath -m "$2")
here=$(cd "$(dirname "$0")" && pwd)
if [[ ! -x $dir/lua.native ]]; then
  echo "no real programs in $dir (fetch their sources with: bash scripts/dev.sh deps)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
modes=("--in-process")
if "$here/../../scripts/kvm-backend.sh" >/dev/null; then
  modes+=("" "--engine interpreter")
fi

# same NAME WANT_FILE CMD... : CMD's stdout must equal WANT_FILE byte for byte.
same() {
  local name=$1 want=$2
  shift 2
  if "$@" >"$tmp/got" 2>"$tmp/err" && cmp -s "$want" "$tmp/got"; then
    echo "ok   $name"
  else
    echo "FAIL $name (status $?)"
    cmp "$want" "$tmp/got" | sed 's/^/     /'
    sed 's/^/     stderr: /' "$tmp/err" | head -5
    failures=$((failures + 1))
  fi
}

mode_name() { [[ -z $1 ]] && echo "micro-VM" || echo "${1#--}"; }

# Lua: a script from a preopened directory, and the same script on stdin.
"$dir/lua.native" "$here/workload.lua" >"$tmp/lua.want"
[[ -s $tmp/lua.want ]] || { echo "FAIL native lua printed nothing"; exit 1; }
for m in "${modes[@]}"; do
  # shellcheck disable=SC2086
  same "lua script, $(mode_name "$m")" "$tmp/lua.want" \
    "$palisade" run $m --dir "$here::/w" "$dir/lua.wasm" -- /w/workload.lua
done
same "lua script on stdin, micro-VM or in process" "$tmp/lua.want" \
  "$palisade" run ${modes[1]:---in-process} "$dir/lua.wasm" -- - <"$here/workload.lua"

# Compression: real inputs (a binary and text), the wasm builds' output is
# the native builds' byte for byte, and decompressing gives the input back.
cat "$dir/lua.native" "$here/workload.lua" "$here/build.sh" >"$tmp/input"
for tool in minigzip bzip2; do
  if [[ $tool == minigzip ]]; then pack=(-c); unpack=(-d -c); else pack=(-c -9); unpack=(-d -c); fi
  "$dir/$tool.native" "${pack[@]}" <"$tmp/input" >"$tmp/$tool.want"
  for m in "${modes[@]}"; do
    # shellcheck disable=SC2086
    same "$tool compresses, $(mode_name "$m")" "$tmp/$tool.want" \
      "$palisade" run $m "$dir/$tool.wasm" -- "${pack[@]}" <"$tmp/input"
    # shellcheck disable=SC2086
    same "$tool decompresses, $(mode_name "$m")" "$tmp/input" \
      "$palisade" run $m "$dir/$tool.wasm" -- "${unpack[@]}" <"$tmp/$tool.want"
  done
done

# Programs that write files, in a writable preopen (--dir HOST::GUEST:rw):
# minigzip replaces a file with its .gz and back, as natively; Lua writes
# its output to a file. The host directory ends as the native run's does.
check_dir() {  # check_dir NAME WANT_DIR GOT_DIR
  if diff -r "$2" "$3" >"$tmp/diff" 2>&1; then echo "ok   $1"; else
    echo "FAIL $1"; sed 's/^/     /' "$tmp/diff" | head -5; failures=$((failures + 1)); fi
}
mkdir -p "$tmp/native"
cp "$tmp/input" "$tmp/native/data"
(cd "$tmp/native" && "$dir/minigzip.native" data)
cp "$tmp/native/data.gz" "$tmp/native/kept.gz"
(cd "$tmp/native" && "$dir/minigzip.native" -d kept.gz)
sed 's#io.write#out:write#g; 1i local out = assert(io.open(arg[1], "w"))' "$here/workload.lua" >"$tmp/to_file.lua"
echo 'out:close()' >>"$tmp/to_file.lua"
"$dir/lua.native" "$tmp/to_file.lua" "$tmp/native/lua.out" >/dev/null
for m in "${modes[@]}"; do
  rw=$tmp/rw${m// /_}
  rm -rf "$rw" && mkdir -p "$rw"
  cp "$tmp/input" "$rw/data"
  # shellcheck disable=SC2086
  "$palisade" run $m --dir "$rw::/w:rw" "$dir/minigzip.wasm" -- /w/data 2>"$tmp/err" &&
    cp "$rw/data.gz" "$rw/kept.gz" &&
    "$palisade" run $m --dir "$rw::/w:rw" "$dir/minigzip.wasm" -- -d /w/kept.gz 2>>"$tmp/err" &&
    "$palisade" run $m --dir "$rw::/w:rw" --dir "$tmp::/t" "$dir/lua.wasm" -- /t/to_file.lua /w/lua.out \
      >/dev/null 2>>"$tmp/err" || { echo "     stderr: $(head -3 "$tmp/err")"; }
  check_dir "programs write files in a :rw directory, $(mode_name "$m")" "$tmp/native" "$rw"
done

# The policy's bound on a writable directory (max_written_bytes, over the
# whole tree): a 10,000-byte file fits under 65,536 and not under 4,096,
# where the write fails (ENOSPC; Lua's assert ends the program) and the
# host directory is left untouched.
mkdir -p "$tmp/scripts"
echo 'local f = assert(io.open(arg[1], "w")); assert(f:write(string.rep("x", 10000))); assert(f:close())' \
  >"$tmp/scripts/big.lua"
for bound in 65536 4096; do
  printf 'name: "bounded"\nwasi { preopens: true writable_preopens: true max_written_bytes: %d }\n' "$bound" \
    >"$tmp/bounded.textproto"
  rm -rf "$tmp/bounded" && mkdir -p "$tmp/bounded"
  "$palisade" run --in-process --policy "$tmp/bounded.textproto" --dir "$tmp/bounded::/w:rw" \
    --dir "$tmp/scripts::/s" "$dir/lua.wasm" -- /s/big.lua /w/out >/dev/null 2>"$tmp/err"
  status=$? size=$(stat -c %s "$tmp/bounded/out" 2>/dev/null || echo none)
  if [[ $bound -eq 65536 && $status -eq 0 && $size == 10000 ]] ||
     [[ $bound -eq 4096 && $status -ne 0 && $size == none ]]; then
    echo "ok   max_written_bytes $bound: status $status, file $size"
  else
    echo "FAIL max_written_bytes $bound: status $status, file $size"; failures=$((failures + 1))
  fi
done

[[ $failures -eq 0 ]] && echo "all real-program checks passed" || echo "$failures real-program check(s) failed"
exit $((failures > 0))
