;; Needs 3 pages; link_provider's memory has 1.
(module (import "p" "mem" (memory 3)))
