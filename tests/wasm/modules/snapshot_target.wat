;; A reactor for snapshot tests: _initialize sets state the snapshot must
;; keep; the exports mutate globals and memory, dirty many pages, spin or
;; trap, so a test can check that a reset undoes each of them.
(module
  (memory (export "memory") 2 64)
  (global $initialised (mut i32) (i32.const 0))
  (global $calls (mut i32) (i32.const 0))
  (func (export "_initialize")
    (global.set $initialised (i32.const 41))
    (i32.store (i32.const 1024) (i32.const 1000)))
  ;; 1 + (calls so far) * 2 + initialised-state check: a fresh snapshot gives 1042.
  (func (export "bump") (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.store (i32.const 1024) (i32.add (i32.load (i32.const 1024)) (i32.const 1)))
    (i32.add (global.get $initialised)
      (i32.add (global.get $calls) (i32.load (i32.const 1024)))))
  ;; Grows memory to `pages` pages and writes one byte in each Wasm page.
  (func (export "dirty") (param $pages i32) (result i32)
    (local $i i32)
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then (drop (memory.grow (i32.sub (local.get $pages) (memory.size))))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (memory.size)))
        (i32.store8 (i32.mul (local.get $i) (i32.const 65536)) (i32.const 7))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (memory.size))
  (func (export "spin") (loop $forever (br $forever)))
  (func (export "boom") unreachable))
