-- Ctrl-C in a loop inside a coroutine, resumed again and again
local co = coroutine.create(function() local i = 0 while true do i = i + 1 end end)
while true do coroutine.resume(co) end
