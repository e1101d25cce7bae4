;; The compiler tier's first subset (guest-runtime/wasm/jit/function_jit.h):
;; integer arithmetic, compares, branches, loops, calls, memory, globals,
;; and each trap it can raise. Every export is run by both tiers and the
;; results compared (tests/jit/jit_test.cc).
(module
  (memory 1)
  (global $g (mut i64) (i64.const 7))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  ;; Fills memory with a pattern, then sums it back with loads of every width.
  (func (export "mem_sum") (param $n i32) (result i64)
    (local $i i32) (local $s i64)
    (loop $fill
      (i32.store8 (local.get $i) (i32.mul (local.get $i) (i32.const 7)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (local.get $n))))
    (local.set $i (i32.const 0))
    (loop $sum
      (local.set $s (i64.add (local.get $s) (i64.load8_s (local.get $i))))
      (local.set $s (i64.add (local.get $s) (i64.load16_u offset=1 (local.get $i))))
      (local.set $s (i64.xor (local.get $s) (i64.load32_s offset=2 (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $sum (i32.lt_u (local.get $i) (i32.sub (local.get $n) (i32.const 8)))))
    (i64.store (i32.const 4000) (local.get $s))
    (i64.add (i64.load (i32.const 4000)) (global.get $g)))
  (func (export "bits") (param $a i64) (param $b i64) (result i64)
    (global.set $g (i64.rotl (local.get $a) (local.get $b)))
    (i64.add
      (i64.add (i64.clz (local.get $a)) (i64.ctz (local.get $b)))
      (i64.add (i64.popcnt (global.get $g))
               (i64.extend_i32_s (i32.wrap_i64 (i64.shr_s (local.get $a) (i64.const 3)))))))
  (func (export "cmp") (param $a i32) (param $b i32) (result i32)
    (i32.add
      (i32.add (i32.lt_s (local.get $a) (local.get $b)) (i32.shl (i32.gt_u (local.get $a) (local.get $b)) (i32.const 1)))
      (i32.add (i32.shl (i32.eqz (local.get $a)) (i32.const 2))
               (select (i32.const 8) (i32.const 16) (i32.ge_s (local.get $a) (i32.const -5))))))
  (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "rem_s") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1)))
  (func (export "div_u") (param i64 i64) (result i64) (i64.div_u (local.get 0) (local.get 1)))
  (func (export "div_by_7") (param i32) (result i32) (i32.div_s (local.get 0) (i32.const 7)))
  (func (export "load_at") (param i32) (result i32) (i32.load offset=16 (local.get 0)))
  (func (export "trap") (unreachable))
  (func (export "table") (param i32) (result i32)
    (block $c (block $b (block $a
      (br_table $a $b $c (local.get 0)))
      (return (i32.const 100)))
      (return (i32.const 200)))
    (i32.const 300))
  (func $deep (export "deep") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $deep (i32.sub (local.get 0) (i32.const 1)))))))
  (func (export "spin") (param i32) (result i32)
    (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.get $i) (local.get 0))))
    (local.get $i)))
