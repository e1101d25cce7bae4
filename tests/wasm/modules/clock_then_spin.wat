;; Asks for the time (one clock_time hypercall), then never ends: for a
;; deadline whose timer fires while the host is still in that hypercall.
(module
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 0)))
    (loop (br 0))))
