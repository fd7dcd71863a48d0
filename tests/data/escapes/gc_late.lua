-- A __gc added after setmetatable is no finalizer (Lua marks objects when
-- the metatable is set): this one must never run.
local mt = {}
setmetatable({}, mt)
mt.__gc = function() while true do end end
collectgarbage()
collectgarbage()
return "no finalizer ran"
