(module
  (import "env" "mystery" (func (param i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "other" "thing" (global i32)))
