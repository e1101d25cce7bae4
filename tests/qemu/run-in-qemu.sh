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
# Usage: run-in-qemu.sh [--timeout S] [--mem MIB] [--smp N] [--env K=V]...
#                       [--skip-if-host-kvm] PROGRAM [ARGS...]
# Exit status: PROGRAM's, 77 if a prerequisite is missing (ctest's skip
# code), 1 if the guest did not report a status in time.
set -euo pipefail

timeout_s=1800 mem=1024 smp=1 skip_if_host_kvm=0
envs=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --timeout) timeout_s=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    --skip-if-host-kvm) skip_if_host_kvm=1; shift ;;
    --) shift; break ;;
    -*) echo "run-in-qemu: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || { echo "usage: run-in-qemu.sh [options] PROGRAM [ARGS...]" >&2; exit 2; }
program=$(readlink -f "$1"); shift

skip() { echo "run-in-qemu: skipped: $*" >&2; exit 77; }
if [[ $skip_if_host_kvm == 1 && -e /dev/kvm ]]; then
  skip "this machine has /dev/kvm, so the KVM tests ran natively"
fi
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
command -v cpio >/dev/null || skip "cpio is not installed"
[[ -x /bin/busybox && $'\n'$(/bin/busybox --list)$'\n' == *$'\ninsmod\n'* ]] || skip "static busybox is not installed (apt-get install busybox-static)"
[[ -x $program ]] || { echo "run-in-qemu: $program is not an executable" >&2; exit 2; }

# The newest installed kernel that has both an image and the kvm-amd module.
kver=""
for k in $(ls -1 /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V -r); do
  if ls /lib/modules/"$k"/kernel/arch/x86/kvm/kvm-amd.ko* >/dev/null 2>&1; then kver=$k; break; fi
done
[[ -n $kver ]] || skip "no kernel with kvm-amd in /boot and /lib/modules (apt-get install linux-image-amd64)"
[[ -r /boot/vmlinuz-$kver ]] || skip "/boot/vmlinuz-$kver is not readable"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,mods}
cp /bin/busybox "$root/bin/busybox"

# kvm-amd and what it depends on, in load order, from modules.dep.
moddir=/lib/modules/$kver
declare -A seen=()
order=()
add_module() {
  local rel=$1 line deps d
  [[ -n ${seen[$rel]:-} ]] && return
  seen[$rel]=1
  line=$(grep -m1 "^$rel:" "$moddir/modules.dep" || true)
  deps=${line#*:}
  for d in $deps; do add_module "$d"; done
  order+=("$rel")
}
add_module "$(cd "$moddir" && ls kernel/arch/x86/kvm/kvm-amd.ko*)"
i=0
for rel in "${order[@]}"; do
  # busybox insmod reads only plain .ko files.
  case "$rel" in
    *.ko) cp "$moddir/$rel" "$root/mods/$i.ko" ;;
    *.ko.xz) xz -dc "$moddir/$rel" >"$root/mods/$i.ko" ;;
    *.ko.zst) zstd -qdc "$moddir/$rel" >"$root/mods/$i.ko" ;;
    *) echo "run-in-qemu: cannot load module $rel" >&2; exit 1 ;;
  esac
  i=$((i + 1))
done

# The program and every shared library it needs, at their own paths.
copy() { mkdir -p "$root$(dirname "$1")"; cp -L "$1" "$root$1"; }
# The program goes outside /tmp, which the guest mounts a tmpfs over.
mkdir -p "$root/palisade"
cp -L "$program" "$root/palisade/$(basename "$program")"
for lib in $(ldd "$program" | grep -o '/[^ ]*' | sort -u); do copy "$lib"; done

# Arguments and environment travel as NUL-separated files, never through
# shell interpolation, so spaces and quotes survive.
# Neither list is ever empty (busybox xargs runs nothing on empty input):
# args starts with the program itself, env with a marker.
printf '%s\0' "/palisade/$(basename "$program")" "$@" >"$root/args"
printf '%s\0' PALISADE_IN_QEMU=1 "${envs[@]+"${envs[@]}"}" >"$root/env"

cat >"$root/init" <<'EOF'
#!/bin/busybox sh
export PATH=/bin
echo
echo PALISADE-QEMU-START
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
for m in $(ls /mods | sort -n); do insmod /mods/$m || echo "run-in-qemu: insmod $m failed"; done
if [ -e /dev/kvm ]; then
  cd /tmp
  # xargs would fold the program's status into 123, so the innermost shell
  # records it.
  xargs -0 sh -c 'for kv; do export "$kv"; done
    exec xargs -0 sh -c "\"\$0\" \"\$@\"; echo \$? >/.status" </args' _ </env
  status=$(cat /.status 2>/dev/null || echo 126)
else
  echo "run-in-qemu: the QEMU guest has no /dev/kvm (kvm-amd did not load)"
  status=125
fi
echo "PALISADE-QEMU-EXIT-STATUS=$status"
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1 >"$work/initrd.gz")

# qemu64 plus SVM and nested paging: the oldest CPU model kvm-amd accepts,
# which TCG emulates fastest. -no-reboot turns a guest panic into an exit.
log=$work/console.log
set +e
timeout "$timeout_s" qemu-system-x86_64 -M q35 -accel tcg -cpu qemu64,+svm,+npt \
  -smp "$smp" -m "$mem" -nographic -no-reboot -nodefaults -serial stdio \
  -kernel "/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 quiet loglevel=0 panic=-1 ${PALISADE_QEMU_APPEND:-}" </dev/null 2>&1 |
  tr -d '\r' | sed -u 's/\x1b[[?0-9;]*[a-zA-Z]//g; s/\x1bc//g' | tee "$log" |
  awk '/PALISADE-QEMU-START/ { on = 1; next } /^PALISADE-QEMU-EXIT-STATUS=/ { next } on { print; fflush() }'
set -e
status=$(grep -ao 'PALISADE-QEMU-EXIT-STATUS=[0-9]*' "$log" | tail -1 | cut -d= -f2)
if [[ -z $status ]]; then
  echo "run-in-qemu: no exit status from the guest (timed out after ${timeout_s}s or crashed)" >&2
  exit 1
fi
exit "$status"
