;; call_indirect whose table index is a local declared after a v128 local:
;; locals are numbered one per local but a v128 takes two frame slots, so
;; the index must be read from the local's slot, not its number. (Found by
;; the differential tests against binaryen, seed 2924.)
(module
  (type $t (func (param v128 i64) (result i64)))
  (table 2 funcref)
  (elem (i32.const 0) $first $second)
  (func $first (type $t) (i64.const 100))
  (func $second (type $t) (i64.add (local.get 1) (i64x2.extract_lane 1 (local.get 0))))
  (func (export "pick") (param $which i32) (result i64) (local $v v128) (local $j i32)
    (local.set $v (v128.const i64x2 0 5))
    (local.set $j (local.get $which))
    (local.get $v) (i64.const 7) (local.get $j) (call_indirect (type $t)))
)
