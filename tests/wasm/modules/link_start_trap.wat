(module
  (func $boom unreachable)
  (start $boom)
)
