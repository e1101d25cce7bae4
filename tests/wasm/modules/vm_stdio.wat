;; A WASI command for the micro-VM tests: copies stdin to stdout, then checks
;; that the clock and the random source answer (exit 0), else exits 1.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $n i32)
    ;; iovec at 0: buffer 1024, 4096 bytes; bytes read at 16.
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 4096))
    (block $eof (loop $more
      (br_if $eof (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)))
      (local.set $n (i32.load (i32.const 16)))
      (br_if $eof (i32.eqz (local.get $n)))
      (i32.store (i32.const 8) (i32.const 1024))
      (i32.store (i32.const 12) (local.get $n))
      (drop (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 20)))
      (br $more)))
    ;; Monotonic clock into 32, 16 random bytes into 48.
    (if (call $clock (i32.const 1) (i64.const 1) (i32.const 32)) (then (call $exit (i32.const 1))))
    (if (i64.eqz (i64.load (i32.const 32))) (then (call $exit (i32.const 1))))
    (if (call $random (i32.const 48) (i32.const 16)) (then (call $exit (i32.const 1))))
    (if (i64.eqz (i64.or (i64.load (i32.const 48)) (i64.load (i32.const 56))))
      (then (call $exit (i32.const 1))))
    (call $exit (i32.const 0))))
