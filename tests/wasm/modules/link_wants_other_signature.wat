;; link_provider's answer is [] -> [i32].
(module (import "p" "answer" (func (param i32) (result i32))))
