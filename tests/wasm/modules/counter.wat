;; An export that mutates a global and memory: on a fresh instance it always
;; returns 1 (for `palisade invoke --repeat`).
(module
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (func (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
    (i32.add (global.get $n) (i32.sub (i32.load (i32.const 0)) (i32.const 1)))))
