-- A coroutine dies of the budget error (raised in the hook, where Lua
-- leaves hooks off in that thread); coroutine.wrap would then run its
-- pending __close handler, which loops.
local f = coroutine.wrap(function()
  local guard <close> = setmetatable({}, { __close = function() while true do end end })
  while true do end
end)
print(pcall(f))
