#!/bin/sh
# Prints which hypervisor answers on /dev/kvm: hardware, pvm or absent; exits
# 0 only for hardware, the one Palisade's micro-VMs can use. PVM's kvm_pvm
# provides /dev/kvm without VMX/SVM but runs only guests written for its
# paravirtual ABI (vmm/kvm_backend.h, whose rule this mirrors).
if [ ! -e /dev/kvm ]; then echo absent; exit 1; fi
if [ -e /sys/module/kvm_pvm ] && [ ! -e /sys/module/kvm_intel ] && [ ! -e /sys/module/kvm_amd ]; then
  echo pvm; exit 1
fi
echo hardware
