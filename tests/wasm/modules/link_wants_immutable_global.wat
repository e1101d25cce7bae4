;; link_provider's counter is mutable: mutability must match exactly.
(module (import "p" "counter" (global i32)))
