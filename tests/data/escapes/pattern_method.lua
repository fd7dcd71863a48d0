-- The same through a string method (the string metatable's __index).
local s = ("a"):rep(5000)
return s:match(("a-"):rep(20) .. "b")
