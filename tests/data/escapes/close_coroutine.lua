-- The same through coroutine.close.
local co = coroutine.create(function()
  local guard <close> = setmetatable({}, { __close = function() while true do end end })
  while true do end
end)
print(coroutine.resume(co))
print(coroutine.close(co))
