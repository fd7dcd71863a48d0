-- Reads an MPS file and solves it with folio, printing one line:
-- "status objective solve_time solver". The LP benchmark (bench/lp/run.sh)
-- runs it alternately with HiGHS.
--   build/folio run bench/lp/solve.lua --set file=bench/lp/out/sparse.mps [--set solver=clp]
local folio = require "folio"
local p = folio.params
local m = folio.read_model(p.file)
-- ranges: folio's default (none at the solve; r:ranges() would compute
-- them on demand) unless --set ranges=0/1 says otherwise
local opts = { solver = p.solver }
if p.ranges ~= nil then opts.ranges = p.ranges == 1 or p.ranges == "true" end
if p.method then opts.method = p.method end
if p.presolve ~= nil then opts.presolve = p.presolve == 1 or p.presolve == "true" end
local r = m:solve(opts)
io.write(string.format("%s %.10g %.4f %s\n", r.status, r.objective or 0 / 0, r.solve_time, r.solver))
