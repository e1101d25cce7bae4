;; The second data segment is out of bounds: instantiation traps, but the
;; first segment has already been written to the imported memory.
(module
  (import "p" "mem" (memory 1))
  (data (i32.const 0) "ok")
  (data (i32.const 65535) "xx")
)
