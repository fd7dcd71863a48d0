-- Writes the models of tests/e2e/test_interop.sh as LP and MPS files into
-- folio.params.dir and prints "NAME OBJECTIVE" for each, folio's own optimum.
local folio = require "folio"
local dir = folio.params.dir

-- an LP with every kind of row and bound, and an objective constant
local function lp(sense)
  local m = folio.model("interop_lp_" .. sense)
  local x = m:var("x", { "a", "b", "c" }, { lb = 0, ub = 8 })
  local y = m:var("y", { lb = -3 })          -- lower bound below zero
  local f = m:var("f")                       -- free
  m:st("cap", x.a + 2 * x.b + x.c, "<=", 14)
  m:st("band", x.a - x.b + y, ">=", -2)
  m:st("band_hi", x.a - x.b + y, "<=", 6)
  m:st("link", f, "==", x.c - 0.5 * y)
  m:st("floor", x.a + x.b + x.c + y, ">=", 3)
  local obj = 3 * x.a + 2 * x.b - x.c + 0.5 * y + f + 7
  if sense == "max" then m:maximize(obj) else m:minimize(-obj + 2 * x.c + 40) end
  return m
end

-- a small MIP with integer and binary columns and a constant
local function mip(sense)
  local m = folio.model("interop_mip_" .. sense)
  local n = m:var("n", { 1, 2, 3 }, { kind = "integer", lb = 0, ub = 9 })
  local z = m:var("z", { 1, 2 }, { kind = "binary" })
  local w = m:var("w", { lb = 0, ub = 2.5 })
  m:st("budget", 3 * n[1] + 5 * n[2] + 7 * n[3] + 4 * z[1] + 2 * w, "<=", 41.5)
  m:st("open", n[1] + n[2] - 9 * z[1], "<=", 0)
  m:st("open2", n[3] - 9 * z[2], "<=", 0)
  m:st("mix", n[1] - n[2] + w, ">=", -1)
  local obj = 4 * n[1] + 7 * n[2] + 9 * n[3] - 3 * z[1] - 2 * z[2] + 1.5 * w - 5
  if sense == "max" then m:maximize(obj) else m:minimize(-obj) end
  return m
end

for _, make in ipairs { { "lp", lp }, { "mip", mip } } do
  for _, sense in ipairs { "min", "max" } do
    local m = make[2](sense)
    local name = make[1] .. "_" .. sense
    m:write(dir .. "/" .. name .. ".lp")
    m:write(dir .. "/" .. name .. ".mps")
    local r = m:solve { solver = "glpk" }
    assert(r.status == "optimal", name .. ": " .. r.status)
    print(string.format("%s %.12g", name, r.objective))
  end
end
