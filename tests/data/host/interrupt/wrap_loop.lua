-- Ctrl-C in a loop inside a coroutine (coroutine.wrap)
local f = coroutine.wrap(function() local i = 0 while true do i = i + 1 end end)
f()
