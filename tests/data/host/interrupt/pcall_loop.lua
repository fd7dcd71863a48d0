-- Ctrl-C in a loop that pcall tries to shield
while true do pcall(function() local i = 0 while true do i = i + 1 end end) end
