-- Selection on the Hang Seng instance (OR-Library port1, 31 assets), K = 5
-- and 10: per method and path, the share of runs that reach the exact
-- QUBO optimum (enumeration of every K-subset) and the share whose subset
-- is the cardinality-constrained MIQP's, the time per run and the time to
-- solution at 99%, beside the MIQP's own solve time.
--   build/folio run bench/cim/select.lua [--set runs=100] [--set sundials_runs=20]
local folio = require "folio"
local H = folio.read_orlib(folio.script_dir .. "/../../data/orlib/port1.txt")
local runs = math.tointeger(tonumber(folio.params.runs or 100))
local sruns = math.tointeger(tonumber(folio.params.sundials_runs or 20))
local rows = {}
local function fmt(v, f) return v and string.format(f, v) or "never" end
for _, K in ipairs { 5, 10 } do
  local t0 = folio.now()
  local ex = folio.cim.select_exact { mu = H.mu, cov = H.cov, gamma = 10, k = K }
  local tm = folio.now() - t0
  rows[#rows + 1] = { K, "MIQP (branch and bound)", "-", 1, 1, fmt(tm, "%.4f"), fmt(tm, "%.4f"), fmt(tm, "%.4f") }
  for _, m in ipairs { "sb_discrete", "sb_ballistic", "cac", "cim_ahc" } do
    for _, path in ipairs { "euler", "sundials" } do
      local n = path == "euler" and runs or sruns
      local r = folio.cim.select { mu = H.mu, cov = H.cov, gamma = 10, k = K, method = m, path = path, runs = n, seed = 1 }
      rows[#rows + 1] = { K, m, path .. " x" .. n, string.format("%.2f", r.qubo_success_probability),
                          string.format("%.2f", r.portfolio_success_probability), fmt(r.time_per_run, "%.4f"),
                          fmt(r.time_to_solution, "%.3f"), fmt(r.portfolio_time_to_solution, "%.3f") }
    end
  end
end
return folio.table { title = "Selection on port1 (gamma 10): success per run and time to solution (99%), seconds",
  columns = { "K", "method", "path x runs", "P(QUBO optimum)", "P(MIQP subset)", "s per run", "TTS QUBO",
              "TTS MIQP subset" }, rows = rows }
