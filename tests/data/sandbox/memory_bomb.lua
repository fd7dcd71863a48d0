-- Fills memory until the cap refuses; the script catches the error, frees
-- what it held, and goes on: the state must still work.
local t = {}
local ok, err = pcall(function()
  for i = 1, 1e9 do t[i] = ("x"):rep(1000) .. i end
end)
local held = #t
t = nil
collectgarbage()
local folio = require "folio"
local m = folio.model("after")
local x = m:var("x", nil, {lb = 0, ub = 4})
m:maximize(x)
local r = m:solve()
return { caught = tostring(err), held = held, objective = r.objective }
