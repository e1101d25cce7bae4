;; A WASI command whose _start traps (out-of-bounds store).
(module
  (memory (export "memory") 1)
  (func $poke (param i32) (i32.store (local.get 0) (i32.const 1)))
  (func (export "_start") (call $poke (i32.const 65535))))
