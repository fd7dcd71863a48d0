-- 2^31 - 2 elements that exist only through C metamethods.
table.sort(setmetatable({}, { __len = function() return (1 << 31) - 2 end, __index = rawlen, __newindex = rawequal }))
