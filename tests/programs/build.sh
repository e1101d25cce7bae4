#!/usr/bin/env bash
# Builds the real programs of the tests from Debian's own source packages
# (scripts/debian-sources.sh fetched them into SOURCES), each twice: for
# wasm32-wasi with Debian's clang and wasi-libc, and natively, to compare.
#   build.sh SOURCES OUT
# Writes OUT/NAME.wasm and OUT/NAME.native for lua (the Lua 5.4
# interpreter), minigzip (zlib's gzip) and bzip2.
set -euo pipefail
src=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$out/src
rm -rf "$work"
mkdir -p "$work" "$out"

unpack() {  # unpack NAME GLOB: the orig tarball matching GLOB into $work/NAME; prints its top directory
  local tarball
  tarball=$(compgen -G "$src/$2") || { echo "build.sh: no $2 in $src (scripts/debian-sources.sh)" >&2; exit 1; }
  mkdir -p "$work/$1"
  tar -xf "${tarball%%$'\n'*}" -C "$work/$1"
  echo "$1/$(ls "$work/$1")"
}

wasm() { clang --target=wasm32-wasi -O2 -Wno-everything "$@"; }
native() { clang -O2 -Wno-everything "$@"; }
shim=$here/wasi_shim

# Lua 5.4: every source but the bytecode compiler's main.
lua=$work/$(unpack lua 'lua5.4_*.orig.tar.gz')/src
lua_sources=$(ls "$lua"/*.c | grep -v '/luac\.c$')
# shellcheck disable=SC2086
wasm -I"$shim" -include "$shim/lua_wasi.h" -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS \
  $lua_sources "$shim/wasi_shim.c" -lwasi-emulated-signal -lwasi-emulated-process-clocks -o "$out/lua.wasm"
# shellcheck disable=SC2086
native -DLUA_USE_LINUX $lua_sources -lm -o "$out/lua.native"

# zlib's minigzip: gzip and gunzip of stdin or of files.
zlib=$work/$(unpack zlib 'zlib_*.orig.tar.*')
zlib_sources="adler32.c crc32.c deflate.c infback.c inffast.c inflate.c inftrees.c trees.c zutil.c
  compress.c uncompr.c gzclose.c gzlib.c gzread.c gzwrite.c test/minigzip.c"
# Z_HAVE_UNISTD_H is what zlib's configure finds on both: lseek from unistd.h, 64-bit offsets.
(cd "$zlib" && wasm -I. -DZ_HAVE_UNISTD_H $zlib_sources -o "$out/minigzip.wasm" &&
 native -I. -DZ_HAVE_UNISTD_H $zlib_sources -o "$out/minigzip.native")

# bzip2, the command.
bz=$work/$(unpack bzip2 'bzip2_*.orig.tar.gz')
bz_sources="blocksort.c huffman.c crctable.c randtable.c compress.c decompress.c bzlib.c bzip2.c"
(cd "$bz" && wasm -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS $bz_sources "$shim/wasi_shim.c" \
   -lwasi-emulated-signal -lwasi-emulated-process-clocks -o "$out/bzip2.wasm" &&
 native $bz_sources -o "$out/bzip2.native")
rm -rf "$work"
