-- An ordinary error; the handler loops (with hooks on) until the budget
-- runs out in it, and must not swallow that.
local ok, err = xpcall(function() error("boom") end, function(m) while true do end end)
return { ok = ok, err = err }
