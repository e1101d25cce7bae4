;; Exports one of each kind of extern, for the linker tests.
(module
  (memory (export "mem") 1 2)
  (table (export "tab") 4 funcref)
  (global (export "counter") (mut i32) (i32.const 10))
  (func $answer (export "answer") (result i32) (i32.const 42))
  (elem (i32.const 0) $answer)
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "pages") (result i32) (memory.size))
  (func (export "call_slot") (param i32) (result i32)
    (call_indirect (result i32) (local.get 0)))
)
