-- The budget holds inside coroutines and after one dies of it.
local co = coroutine.wrap(function() while true do end end)
print(pcall(co))
while true do end
