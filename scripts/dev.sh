#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (run as root):
#   bash scripts/dev.sh check   install, build (Release), run `palisade check`,
#                               then examples/hello.c in a micro-VM
#   bash scripts/dev.sh test    install, build, run every test (ctest), then
#                               all of them again under ASan+UBSan (clang),
#                               then every libFuzzer target for 30 s
#   bash scripts/dev.sh fuzz [S] the libFuzzer targets for S seconds each
#   bash scripts/dev.sh deps    only install the Debian packages (and fetch the
#                               source packages of tests/programs)
#   bash scripts/dev.sh bench   install, build, run the Wasm benchmarks
#                               (native vs node vs palisade)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

deps() {
  install_packages cmake ninja-build g++ pkg-config libabsl-dev libcapstone-dev libcli11-dev \
    libgtest-dev libgmock-dev libbenchmark-dev wabt nlohmann-json3-dev \
    clang lld wasi-libc libclang-rt-14-dev-wasm32 libclang-rt-14-dev binaryen \
    libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc libssl-dev \
    python3-grpcio python3-protobuf openssl libseccomp-dev \
    nginx prometheus prometheus-cpp-dev python3-yaml $(kubectl_package) "$@"
  # The real programs of tests/programs, as Debian's source packages.
  scripts/debian-sources.sh "${PALISADE_DEBIAN_SOURCES:-/var/cache/palisade/debian-sources}" lua5.4 zlib bzip2
}

# Debian's kubectl (`kubectl kustomize` renders deploy/kubernetes in the
# tests), unless the machine has a kubectl of its own already.
kubectl_package() {
  if ! command -v kubectl >/dev/null 2>&1; then echo kubernetes-client; fi
}

install_packages() {
  local pkgs=("$@")
  # Without /dev/kvm (scripts/kvm-backend.sh; hardware KVM and PVM both run
  # micro-VMs natively) the
  # KVM tests run inside QEMU's emulated SVM: they need QEMU, a Debian kernel
  # with kvm-amd, and a static busybox for the initramfs.
  if ! scripts/kvm-backend.sh >/dev/null; then
    pkgs+=(qemu-system-x86 linux-image-amd64 busybox-static cpio)
  fi
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # INITRD=No: the kernel is only booted by QEMU with our own initramfs, so
    # skip the (slow) system initramfs generation.
    INITRD=No apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

build() {  # build DIR [cmake args...]
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@"
  cmake --build "$dir" -j "$jobs"
}

# clang, ASan+UBSan, and coverage instrumentation for the fuzz targets.
sanitizer_build() {  # sanitizer_build DIR [cmake --build args...]
  local dir=$1; shift
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPALISADE_SANITIZE=ON -DPALISADE_FUZZ=ON -DPALISADE_BUILD_BENCHMARKS=OFF
  cmake --build "$dir" -j "$jobs" "$@"
}

case "${1:-}" in
  deps)
    deps ;;
  check)
    deps
    build build -DCMAKE_BUILD_TYPE=Release
    clang --target=wasm32-wasi -O2 examples/hello.c -o build/hello.wasm
    if scripts/kvm-backend.sh >/dev/null; then
      build/cli/palisade check
      build/cli/palisade run --dir ./examples::/data build/hello.wasm -- one two
    else
      build/cli/palisade check || true  # says why this machine's KVM will not do
      echo "No /dev/kvm on this machine: running 'palisade check' inside QEMU's emulated KVM" \
           "(correct, but the timings are emulated, not this machine's)."
      tests/qemu/run-in-qemu.sh build/cli/palisade check
      tests/qemu/run-in-qemu.sh --file "$PWD/build/hello.wasm" --file "$PWD/examples" \
        build/cli/palisade run --dir "$PWD/examples::/data" "$PWD/build/hello.wasm" -- one two
    fi ;;
  test)
    deps
    build build -DCMAKE_BUILD_TYPE=Release
    (cd build && ctest --output-on-failure -j "$jobs" | tee ctest.log)
    # The same suite again with ASan+UBSan: unit tests natively, KVM tests
    # natively where /dev/kvm exists. Without it, the QEMU copies run only
    # in the Release build above: instrumented binaries under QEMU's
    # emulation took 16 minutes of a 38-minute run. This build is
    # clang's, with the libraries also instrumented for coverage, so the same
    # build gives the libFuzzer targets (fuzz/), which then run for a bounded
    # time each after replaying their regressions.
    sanitizer_build build-asan
    export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
    (cd build-asan && ctest --output-on-failure -j "$jobs" -LE qemu | tee ctest.log)
    cmake --build build-asan --target palisade_fuzz_corpus
    fuzz/run.sh build-asan "${PALISADE_FUZZ_SECONDS:-30}" | tee build-asan/fuzz.log
    # One closing line for both runs. Tests counted as skipped are the KVM
    # tests of a machine without /dev/kvm; they ran inside QEMU instead.
    python3 - build/ctest.log build-asan/ctest.log <<'PY'
import re, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    text = open(path).read()
    m = re.search(r"tests passed, (\d+) tests failed out of (\d+)", text)
    if not m:
        sys.exit(f"no ctest summary in {path}")
    failed += int(m.group(1))
    n_skipped = len(re.findall(r"\(Skipped\)$", text, re.M))
    skipped += n_skipped
    passed += int(m.group(2)) - int(m.group(1)) - n_skipped
print(f"ctest (Release + ASan/UBSan): {passed} passed, {failed} failed, {skipped} skipped")
PY
    # The real programs must have run, not skipped for want of their sources.
    grep -Eq 'palisade_real_programs \.+ +Passed' build/ctest.log ||
      { echo "palisade_real_programs did not pass (were Debian's sources fetched?)"; exit 1; }
    # fuzz/run.sh prints one "ok" or "FAIL" line per target it knows.
    fuzzed=$(grep -c '^ok ' build-asan/fuzz.log || true)
    targets=$(grep -cE '^(ok|FAIL) ' build-asan/fuzz.log || true)
    echo "fuzz targets: $fuzzed of $targets ran clean for ${PALISADE_FUZZ_SECONDS:-30}s each"
    [[ $targets -gt 0 && $fuzzed -eq $targets ]] ;;
  fuzz)
    # The libFuzzer targets (fuzz/), in the sanitizer build, each run for
    # ${2:-30} seconds from seed corpora made in the build.
    deps
    sanitizer_build build-asan --target wasm_decode_fuzzer wasm_execute_fuzzer jit_compile_fuzzer \
      hypercall_fuzzer policy_text_fuzzer grpc_request_fuzzer fs_tree_fuzzer palisade_fuzz_corpus
    fuzz/run.sh build-asan "${2:-30}" ;;
  bench)
    # The benchmark programs are compiled to wasm32-wasi by Debian's clang
    # and compared with node.
    deps nodejs bc
    build build -DCMAKE_BUILD_TYPE=Release
    bench/wasm/run.sh ;;
  *)
    echo "usage: bash scripts/dev.sh check|test|deps|bench|fuzz [SECONDS]" >&2
    exit 2 ;;
esac
