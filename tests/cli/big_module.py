#!/usr/bin/env python3
"""Writes a valid WASI command whose code section is about SIZE_MIB MiB:
many small functions of straight-line arithmetic and an empty _start. It
sizes micro-VMs in tests (the engine's memory grows with the code section).
    big_module.py SIZE_MIB OUT.wasm"""
import sys


def leb(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def section(sid, payload):
    return bytes([sid]) + leb(len(payload)) + payload


def main():
    size_mib, out = float(sys.argv[1]), sys.argv[2]
    # i32.const 12345; i32.const 7; i32.add; drop -- 8 bytes, 128 times.
    filler = bytes([0x41, 0xB9, 0xE0, 0x00, 0x41, 0x07, 0x6A, 0x1A]) * 128
    body = leb(len(filler) + 2) + b"\x00" + filler + b"\x0b"
    count = max(1, int(size_mib * (1 << 20)) // len(body))
    start = b"\x02\x00\x0b"  # no locals, end
    funcs = count + 1
    module = b"\x00asm\x01\x00\x00\x00"
    module += section(1, b"\x01\x60\x00\x00")
    module += section(3, leb(funcs) + b"\x00" * funcs)
    module += section(5, b"\x01\x00\x01")  # one page of memory, exported for WASI
    module += section(7, b"\x02" + leb(6) + b"_start" + b"\x00" + leb(count) + leb(6) + b"memory" + b"\x02\x00")
    module += section(10, leb(funcs) + body * count + start)
    with open(out, "wb") as f:
        f.write(module)


main()
