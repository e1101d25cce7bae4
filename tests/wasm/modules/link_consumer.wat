;; Imports everything link_provider exports plus a host function, and
;; initialises the shared memory and table from its own segments.
(module
  (import "p" "mem" (memory 1))
  (import "p" "tab" (table 1 funcref))
  (import "p" "counter" (global $c (mut i32)))
  (import "p" "answer" (func $answer (result i32)))
  (import "host" "add" (func $add (param i32 i32) (result i32)))
  (data (i32.const 100) "hi")
  (elem (i32.const 1) $seven)
  (func $seven (result i32) (i32.const 7))
  (func $start (global.set $c (i32.add (global.get $c) (i32.const 1))))
  (start $start)
  (func (export "sum") (result i32) (call $add (call $answer) (global.get $c)))
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
)
