#!/usr/bin/env bash
# Runs a host program inside a throwaway QEMU guest that has /dev/kvm, and
# exits with that program's status.
#
# Why: Palisade's VMM tests need KVM. Where the machine has none (cloud VMs
# without nested virtualization, including our CI), QEMU's software
# emulation (TCG) of AMD SVM with nested paging gives a Debian kernel a real,
# working KVM; the unmodified test binary then boots real micro-VMs inside it.
# Correctness is fully exercised; timings are emulated and mean nothing.
#
# Usage: run-in-qemu.sh [--timeout SECONDS] [--mem MIB] [--smp N]
#                       [--file HOSTPATH]... [--env K=V]...
#                       [--skip-if-host-kvm] PROGRAM [ARGS...]
#   --file  also put HOSTPATH (a file or directory) into the guest, at the
#           same absolute path (with its libraries, if it is a program)
#   --env   set K=V in PROGRAM's environment inside the guest
#   --skip-if-host-kvm  exit 77 at once where this machine has /dev/kvm (hardware or PVM)
#   PALISADE_QEMU_APPEND (environment): extra kernel command-line arguments
# Exit status: PROGRAM's; 77 if a prerequisite is missing (ctest's skip
# code); 2 on bad usage; 1 if the guest did not report a status in time.
set -euo pipefail

timeout_s=900 mem=1024 smp=1 skip_if_host_kvm=0
files=() envs=()
usage() { echo "usage: run-in-qemu.sh [--timeout S] [--mem MIB] [--smp N] [--file PATH]... [--env K=V]... [--skip-if-host-kvm] PROGRAM [ARGS...]" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --timeout|--mem|--smp|--file|--env) [[ $# -ge 2 ]] || usage ;;&
    --timeout) timeout_s=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --file) files+=("$2"); shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    --skip-if-host-kvm) skip_if_host_kvm=1; shift ;;
    --) shift; break ;;
    -*) echo "run-in-qemu: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || usage
program=$(readlink -f "$1"); shift
[[ -f $program && -x $program ]] || { echo "run-in-qemu: $program is not an executable file" >&2; exit 2; }

# Missing tools mean "cannot run here", not "test failed": ctest shows 77 as skipped.
skip() { echo "run-in-qemu: skipped: $*" >&2; exit 77; }
if [[ $skip_if_host_kvm == 1 ]] && "$(dirname "$0")/../../scripts/kvm-backend.sh" >/dev/null; then
  skip "this machine has /dev/kvm ($("$(dirname "$0")/../../scripts/kvm-backend.sh")), so the KVM tests run natively"
fi
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
command -v cpio >/dev/null || skip "cpio is not installed (apt-get install cpio)"
# The guest has no libraries of its own, so busybox must be the static build.
[[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1 ||
  skip "no static /bin/busybox (apt-get install busybox-static)"

# The newest installed kernel that has both an image and the kvm-amd module
# (plain or compressed).
kver=""
for k in $(ls -1 /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V -r); do
  if compgen -G "/lib/modules/$k/kernel/arch/x86/kvm/kvm-amd.ko*" >/dev/null; then kver=$k; break; fi
done
[[ -n $kver ]] || skip "no kernel with both /boot/vmlinuz-<ver> and /lib/modules/<ver>/kernel/arch/x86/kvm/kvm-amd.ko (apt-get install linux-image-amd64)"
# Ubuntu installs kernel images readable by root only.
[[ -r /boot/vmlinuz-$kver ]] || skip "/boot/vmlinuz-$kver is not readable by this user"
moddir=/lib/modules/$kver
[[ -r $moddir/modules.dep ]] || skip "$moddir/modules.dep is missing (run depmod $kver)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM  # so the EXIT trap still cleans up
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,mnt,mods,palisade/args,palisade/env}
cp /bin/busybox "$root/bin/busybox"

# kvm-amd and everything it needs, dependencies first, from modules.dep
# (a depth-first walk, so the order holds whatever modules.dep lists).
declare -A seen=()
order=()
add_module() {
  local rel=$1 line d
  [[ -n ${seen[$rel]:-} ]] && return
  seen[$rel]=1
  line=$(grep -m1 "^$rel:" "$moddir/modules.dep") ||
    { echo "run-in-qemu: $rel is not in $moddir/modules.dep" >&2; exit 1; }
  for d in ${line#*:}; do add_module "$d"; done
  order+=("$rel")
}
add_module "$(cd "$moddir" && compgen -G 'kernel/arch/x86/kvm/kvm-amd.ko*' | head -1)"
# busybox insmod reads only uncompressed modules: decompress here. Files are
# numbered so that the guest loads them in order.
i=0
for rel in "${order[@]}"; do
  out=$root/mods/$(printf %02d "$i").ko
  case "$rel" in
    *.ko) cp "$moddir/$rel" "$out" ;;
    *.ko.xz) command -v xz >/dev/null || skip "xz is needed to unpack $rel"; xz -dc "$moddir/$rel" >"$out" ;;
    *.ko.zst) command -v zstd >/dev/null || skip "zstd is needed to unpack $rel"; zstd -qdc "$moddir/$rel" >"$out" ;;
    *.ko.gz) gzip -dc "$moddir/$rel" >"$out" ;;
    *) echo "run-in-qemu: cannot unpack module $rel" >&2; exit 1 ;;
  esac
  i=$((i + 1))
done

# PROGRAM, every shared library ldd lists for it (the dynamic loader
# included) and each --file, all at their own absolute paths, so that
# RUNPATHs and paths baked into the program keep working.
ldd_out=$(ldd "$program" 2>&1 || true)  # "not a dynamic executable" is fine
if grep -q 'not found' <<<"$ldd_out"; then
  echo "run-in-qemu: $program needs libraries this machine lacks:" >&2
  grep 'not found' <<<"$ldd_out" >&2; exit 1
fi
copy() {
  [[ -e $1 ]] || { echo "run-in-qemu: $1 does not exist" >&2; exit 2; }
  mkdir -p "$root$(dirname "$1")"
  cp -rL "$1" "$root$1"
}
copy "$program"
for lib in $(grep -o '/[^ ]*' <<<"$ldd_out" | sort -u); do copy "$lib"; done
for f in "${files[@]+"${files[@]}"}"; do
  f=$(readlink -f "$f")
  copy "$f"
  # A dynamically linked program given with --file brings its libraries.
  if [[ -f $f && -x $f ]] && file_libs=$(ldd "$f" 2>/dev/null); then
    for lib in $(grep -o '/[^ ]*' <<<"$file_libs" | sort -u); do copy "$lib"; done
  fi
done

# Arguments and environment travel one per file, never through shell
# interpolation, so spaces, quotes and '$' survive unchanged.
i=0
for a in "$program" "$@"; do printf '%s' "$a" >"$root/palisade/args/$i"; i=$((i + 1)); done
i=0
for e in PALISADE_IN_QEMU=1 "${envs[@]+"${envs[@]}"}"; do printf '%s' "$e" >"$root/palisade/env/$i"; i=$((i + 1)); done

# The guest's /init. Its output before PALISADE-QEMU-START (firmware, kernel)
# is hidden by the host; the last line carries PROGRAM's exit status.
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
export PATH=/bin
/bin/busybox --install -s /bin
echo
echo PALISADE-QEMU-START
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/shm && mount -t tmpfs shm /dev/shm  # for shm_open and friends
ip link set lo up  # loopback, for servers under test (palisaded)
# A tmpfs on /tmp, as on a normal system. Anything the initramfs itself put
# under /tmp (a PROGRAM or --file from the host's /tmp) is carried over.
mount -t tmpfs tmp /mnt && cp -a /tmp/. /mnt/ && mount -o move /mnt /tmp
for m in $(ls /mods | sort); do
  insmod /mods/$m || echo "run-in-qemu: insmod of module $m failed"
done
# Reads a file exactly: $(cat) alone would drop trailing newlines.
slurp() { v=$(cat "$1"; echo x); v=${v%x}; }
if [ ! -e /dev/kvm ]; then
  echo "run-in-qemu: the QEMU guest has no /dev/kvm (kvm-amd did not load; is SVM in -cpu?)"
  status=125
else
  set --
  i=0; while [ -e /palisade/args/$i ]; do slurp /palisade/args/$i; set -- "$@" "$v"; i=$((i + 1)); done
  i=0; while [ -e /palisade/env/$i ]; do slurp /palisade/env/$i; export "$v"; i=$((i + 1)); done
  cd /tmp
  "$@"
  status=$?
fi
echo "PALISADE-QEMU-EXIT-STATUS=$status"
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1 >"$work/initrd.gz")

# CPU: qemu64 plus SVM and nested paging (NPT), the smallest CPU model
# kvm-amd accepts, plus SSSE3/SSE4.1/SSE4.2, which the Wasm engine needs
# (guest-runtime/wasm/CMakeLists.txt) and TCG emulates, and POPCNT (libFuzzer's compare
# hooks in palisade fuzz use it). `-cpu max` exposes SVM under TCG too, but booted slower
# here (it turns on more features TCG must emulate). One vCPU by default: with
# -smp 2 (MTTCG, a host thread per vCPU) the full KVM suite stalled past 20
# minutes in CI, while one vCPU runs it in about 80 s.
# -nodefaults drops the VGA, NIC etc. we do not use; -no-reboot together with
# panic=-1 turns a guest kernel panic into QEMU exiting.
log=$work/console.log
status=""
shopt -s lastpipe  # the loop below runs in this shell, so it can set $status
set +e
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 -M q35 -accel tcg -cpu qemu64,+svm,+npt,+ssse3,+sse4.1,+sse4.2,+popcnt \
  -smp "$smp" -m "$mem" -nographic -no-reboot -nodefaults -serial stdio \
  -kernel "/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 quiet loglevel=0 panic=-1 ${PALISADE_QEMU_APPEND:-}" </dev/null 2>&1 |
  # Drop CRs and the terminal control sequences SeaBIOS and QEMU emit
  # (ESC c, ESC[?7l, ESC[2J, ...), line by line as they arrive (-u); keep a
  # copy of everything for the error report.
  sed -u 's/\r//g; s/\x1b\[[?0-9;]*[A-Za-z]//g; s/\x1b[()][A-Za-z0-9]//g; s/\x1b[A-Za-z=>]//g' |
  tee "$log" |
  # Show the guest's output from PALISADE-QEMU-START on, live. Not awk: mawk
  # (Debian's default) reads its input in blocks and would hold it back.
  # The status marker may follow PROGRAM's last output on the same line
  # when that output did not end with a newline.
  {
    on=""
    while IFS= read -r line; do
      if [[ -z $on ]]; then [[ $line == *PALISADE-QEMU-START* ]] && on=1; continue; fi
      if [[ $line =~ ^(.*)PALISADE-QEMU-EXIT-STATUS=([0-9]+)$ ]]; then
        [[ -n ${BASH_REMATCH[1]} ]] && printf '%s\n' "${BASH_REMATCH[1]}"
        status=${BASH_REMATCH[2]}
      else
        printf '%s\n' "$line"
      fi
    done
  }
qemu_rc=${PIPESTATUS[0]}
set -e
if [[ -z $status ]]; then
  if [[ $qemu_rc == 124 || $qemu_rc == 137 ]]; then
    echo "run-in-qemu: timed out after ${timeout_s}s without an exit status from the guest" >&2
  else
    echo "run-in-qemu: the guest ended without an exit status (QEMU status $qemu_rc); last console lines:" >&2
    tail -n 20 "$log" >&2
  fi
  exit 1
fi
exit "$status"
