;; An export with state: every call on a fresh instance returns 1.
;;   wat2wasm examples/counter.wat -o counter.wasm
;;   palisade invoke --repeat 100 counter.wasm bump
(module
  (global $n (mut i32) (i32.const 0))
  (func (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n)))
