-- The body runs the budget out; the handler then loops. Lua calls the
-- handler inside the hook that raised the error, with hooks off.
local ok, err = xpcall(function() while true do end end, function(m) while true do end end)
return { ok = ok, err = err }
