;; Cases where the compiler's stack tricks (entries that name a local,
;; results written straight into locals, fused compares) could go wrong.
(module
  ;; A pushed local.get must keep the old value when the local changes.
  (func (export "old_value_survives_set") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    local.set 0
    local.get 0
    i32.sub)
  ;; ... also across a loop that changes it on every iteration.
  (func (export "old_value_survives_loop") (param i32) (result i32)
    local.get 0
    (block
      (loop
        local.get 0
        i32.const 1
        i32.sub
        local.tee 0
        br_if 0))
    local.get 0
    i32.add)
  ;; ... and across an if that changes it on one path only.
  (func (export "old_value_survives_if") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    (if (then i32.const 100 local.set 0))
    local.get 0
    i32.add)
  ;; A result computed straight into a local.
  (func (export "increment") (param i32) (result i32)
    local.get 0
    i32.const 1
    i32.add
    local.set 0
    local.get 0)
  ;; A fused compare-and-branch carrying a block result.
  (func (export "less_than_ten") (param i32) (result i32)
    (block (result i32)
      i32.const 7
      local.get 0
      i32.const 10
      i32.lt_s
      br_if 0
      drop
      i32.const 8))
  ;; Multiple results that swap the parameters.
  (func (export "swap") (param i32 i32) (result i32 i32)
    local.get 1
    local.get 0)
  ;; br_table carrying a value to different depths.
  (func (export "table") (param i32) (result i32)
    (block (result i32)
      (block (result i32)
        (block (result i32)
          i32.const 10
          local.get 0
          br_table 0 1 2)
        i32.const 1
        i32.add)
      i32.const 2
      i32.add))
  ;; A constant kept below a block and used after it.
  (func (export "const_below_block") (param i32) (result i32)
    i32.const 5
    (block (br_if 0 (local.get 0)))
    local.get 0
    i32.add)
  ;; tee of a value the stack still holds elsewhere.
  (func (export "tee_chain") (param i32) (result i32)
    (local i32 i32)
    local.get 0
    local.tee 1
    local.tee 2
    local.get 1
    i32.add
    local.get 2
    i32.mul)
  ;; i64 immediates and a loop with a fused i64 compare.
  (func (export "sum_to") (param i64) (result i64)
    (local i64 i64)
    (block
      (loop
        local.get 1
        local.get 0
        i64.ge_u
        br_if 1
        local.get 1
        i64.const 1
        i64.add
        local.tee 1
        local.get 2
        i64.add
        local.set 2
        br 0))
    local.get 2)
)
