#!/bin/sh
# Prints which hypervisor answers on /dev/kvm -- intel, amd, hardware (KVM
# built into the kernel), pvm or absent -- and exits 0 when micro-VMs can run
# here (any of them but absent). PVM's kvm_pvm has no VMX/SVM underneath and
# runs our CPL 3 guest natively. Mirrors vmm/kvm_backend.h.
if [ ! -e /dev/kvm ]; then echo absent; exit 1; fi
if [ -e /sys/module/kvm_intel ]; then echo intel; exit 0; fi
if [ -e /sys/module/kvm_amd ]; then echo amd; exit 0; fi
if [ -e /sys/module/kvm_pvm ]; then echo pvm; exit 0; fi
echo hardware
