;; v128 values crossing every boundary: params and results of Wasm and host
;; functions, mixed with scalars (so slot offsets matter), and globals.
(module
  (import "host" "swap_halves" (func $swap (param i32 v128 i64) (result v128 i32)))
  (global $g (export "g") (mut v128) (v128.const i32x4 1 2 3 4))
  (func (export "through_host") (param v128) (result v128 i32)
    (call $swap (i32.const 7) (local.get 0) (i64.const 9)))
  (func (export "add_to_global") (param v128) (result v128)
    (global.set $g (i32x4.add (global.get $g) (local.get 0)))
    (global.get $g))
  (func (export "select") (param v128 v128 i32) (result v128)
    (select (local.get 0) (local.get 1) (local.get 2)))
)
