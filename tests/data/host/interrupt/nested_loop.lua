-- Ctrl-C in a coroutine resumed by a coroutine
local inner = coroutine.wrap(function() local i = 0 while true do i = i + 1 end end)
local outer = coroutine.wrap(function() inner() end)
outer()
