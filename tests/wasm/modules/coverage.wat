;; Code for the coverage probes (CompileOptions::coverage): branches, a loop,
;; compares against constants and against other values, memory.grow.
(module
  (memory 1 2)
  ;; 1 when x is the magic "FUZZ" (little-endian), else 0.
  (func (export "magic") (param $x i32) (result i32)
    (if (result i32) (i32.eq (local.get $x) (i32.const 0x5a5a5546))
      (then (i32.const 1))
      (else (i32.const 0))))
  ;; Compares two i64 values held in locals (no immediate form).
  (func (export "less64") (param $a i64) (param $b i64) (result i32)
    (block $no
      (br_if $no (i64.ge_u (local.get $a) (local.get $b)))
      (return (i32.const 1)))
    (i32.const 0))
  ;; The sum 0 + 1 + ... + (n - 1), by a loop.
  (func (export "sum") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $s))
  ;; memory.grow by n pages; the old size or -1.
  (func (export "grow") (param $n i32) (result i32)
    (memory.grow (local.get $n)))
)
