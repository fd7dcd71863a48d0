-- fac-G (Dunning, Huchette, Lubin 2017) through folio's DSL: build the whole
-- model, cones included, then load its linear part into GLPK with names.
-- Nothing is solved.  build/folio run bench/fac/fac.lua --set G=25 [--set cones=0]
local folio = require "folio"

local G = math.tointeger(folio.params.G) or 25
local with_cones = folio.params.cones ~= 0
local F = G
local clock = os.clock

local t0 = clock()
local I, Fs, K = {}, {}, { 1, 2 }
for i = 0, G do I[#I + 1] = i end
for f = 1, F do Fs[f] = f end
local M = 2 * math.sqrt(2)

local m = folio.model("fac" .. G)
local d = m:var("d", { lb = 0 })
local y = m:var("y", { Fs, K }, { lb = 0, ub = 1 })
local z = m:var("z", { I, I, Fs }, { kind = "binary" })
local s = m:var("s", { I, I, Fs }, { lb = 0 })
local r = m:var("r", { I, I, Fs, K })
m:minimize(d)

m:st("assign", { I, I }, function(i, j) return folio.sum(z[i][j]), "==", 1 end)
m:st("link", { I, I, Fs }, function(i, j, f)
  return s[i][j][f], "==", d + M * (1 - z[i][j][f])
end)
m:st("r1", { I, I, Fs }, function(i, j, f) return r[i][j][f][1], "==", i / G - y[f][1] end)
m:st("r2", { I, I, Fs }, function(i, j, f) return r[i][j][f][2], "==", j / G - y[f][2] end)
if with_cones then
  m:soc("dist", { I, I, Fs }, function(i, j, f)
    local rij = r[i][j][f]
    return { rij[1], rij[2] }, "<=", s[i][j][f]
  end)
end
local t_build = clock() - t0

local t_load = m:lower("glpk", { skip_cones = true })
local st = m:stats()
io.stderr:write(string.format("folio fac G=%d rows=%d cols=%d nnz=%d cones=%d build_s=%.3f load_s=%.3f\n",
  G, st.rows, st.cols, st.nnz, st.cones, t_build, t_load))
