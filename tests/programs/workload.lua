-- A little of everything the interpreter does: recursion, tables and their
-- sort, closures, string patterns and formatting, integer and float
-- arithmetic, utf8. Deterministic: the same text on every build. No
-- coroutines and no errors: Lua implements both with longjmp, which
-- wasm32-wasi lacks under clang 14 (wasi_shim/lua_wasi.h).
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end

local t = {}
for i = 1, 100000 do t[i] = (i * 7919) % 100003 end
table.sort(t)
local sum = 0
for i = 1, #t do sum = sum + t[i] end

local counts = {}
local text = ("It was the best of times, it was the worst of times, it was the age of wisdom, " ..
              "it was the age of foolishness"):lower()
for w in text:gmatch("%a+") do counts[w] = (counts[w] or 0) + 1 end
local words = {}
for w in pairs(counts) do words[#words + 1] = w end
table.sort(words, function(a, b) return counts[a] > counts[b] or (counts[a] == counts[b] and a < b) end)

local function counter()
  local n = 0
  return function() n = n + 1; return n end
end
local c = counter(); c(); c()

print(("fib(25)=%d sorted sum=%d min=%d max=%d"):format(fib(25), sum, t[1], t[#t]))
for i = 1, 4 do io.write(words[i], "=", counts[words[i]], i < 4 and " " or "\n") end
local squares = {}
for i = 1, 5 do squares[#squares + 1] = i * i end
print("closure", c(), "squares", table.concat(squares, ","))
print(("%.6f %.3e %g %5.1f%%"):format(math.pi, 6.02214076e23, 1 / 3, 99.5))
print(math.maxinteger // 3, 7 // -2, 7 % -3, 2 ^ 53, math.tointeger(3.0), 10 / 4)
print(("héllo wörld"):upper(), utf8.len("héllo"), utf8.char(8364, 72, 105))
print(string.rep("ab", 3, "-"), ("x=1, y=22, z=333"):gsub("%d+", function(d) return "<" .. #d .. ">" end))
