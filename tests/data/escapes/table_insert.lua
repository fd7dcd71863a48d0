-- __len says 10^15; the shifting loop runs in C with C metamethods.
local t = setmetatable({}, { __len = function() return 1e15 end, __index = rawlen, __newindex = rawequal })
table.insert(t, 1, "x")
