-- The result contract (docs/results.md): every result folio returns has a
-- named metatable from results.class and the same core fields, so that
-- `folio run`'s report and exit code, --json, --report, deployments,
-- sweeps and the REPL all know a result the same way.
--
--   status        one word of STATUSES
--   has_solution  true when the result holds a solution to act on
--   objective     what the user asked to optimise, in the user's units
--   solve_time    seconds
--   solver        what solved it
--
-- summary() is the text view, to_json() a table that always encodes
-- (non-finite numbers as the strings "inf", "-inf", "nan"), csv() one
-- table whose columns do not depend on the outcome.
local S = {}

S.STATUSES = {
  optimal = "an optimum, proven",
  feasible = "a feasible solution, not proven optimal",
  infeasible = "no solution exists: the constraints conflict",
  unbounded = "the objective has no finite optimum",
  infeasible_or_unbounded = "no optimum exists, and the solver did not tell which case holds",
  time_limit = "stopped at the time limit",
  iteration_limit = "stopped at the iteration or step limit",
  numerical_error = "the solver failed numerically",
  interrupted = "stopped by an interrupt",
  fallback = "a heuristic answer after the exact method failed",
  converged = "the dynamics converged",
  not_solved = "not solved",
}

-- metatable -> spec; the model result (a userdata from C) is added by report.lua
local classes = setmetatable({}, { __mode = "k" })
local native = {}

local function default_csv(self)
  return { "key", "value" }, { { "status", self.status }, { "objective", self.objective } }
end

-- results.class(name, spec): a metatable for a result kind. spec:
--   kind      short name ("exposure", "trade", ...)
--   summary   function(self) -> text (default: status and objective)
--   csv       function(self) -> columns, rows (same columns whatever the status)
--   json      function(self) -> table (default: the result's fields)
--   json_skip set of fields the default JSON leaves out (back references)
--   html      function(self) -> kind, name, status, body (folio.html)
-- Methods defined on the returned metatable serve as the results' methods.
function S.class(name, spec)
  local mt = { __name = name }
  mt.__index = mt
  spec = spec or {}
  spec.name, spec.kind = name, spec.kind or name:gsub("^folio%.", "")
  classes[mt] = spec
  function mt.summary(self) return S.summary(self) end
  function mt.to_json(self) return S.to_json(self) end
  function mt.csv(self) return S.csv(self) end
  mt.__tostring = mt.summary
  return mt
end

-- the spec of a registered result, or nil for anything else
function S.spec_of(v)
  local t = type(v)
  if t ~= "table" and t ~= "userdata" then return nil end
  local mt = getmetatable(v)
  if type(mt) ~= "table" then return nil end
  if classes[mt] then return classes[mt] end
  -- results made in C are userdata; their metatables are known by name
  if t == "userdata" then return native[rawget(mt, "__name") or ""] end
  return nil
end

-- results.register_native(name, spec): a C result type (its metatable's
-- __name), whose methods come from C
function S.register_native(name, spec)
  spec.name, spec.kind = name, spec.kind or name:gsub("^folio%.", "")
  native[name] = spec
end

function S.is_result(v) return S.spec_of(v) ~= nil end

-- Sets the core fields on a domain result; has_solution defaults to
-- whether the status carries a solution.
local WITH_SOLUTION = { optimal = true, feasible = true, fallback = true, converged = true }
function S.settle(res, o)
  assert(S.STATUSES[o.status], "results.settle: unknown status " .. tostring(o.status))
  res.status = o.status
  if o.has_solution == nil then res.has_solution = WITH_SOLUTION[o.status] or false
  else res.has_solution = o.has_solution and true or false end
  res.objective = res.has_solution and o.objective or nil
  res.solve_time = o.solve_time or 0
  res.solver = o.solver or "none"
  return res
end

-- Maps a model result's or an integrator's word onto the vocabulary.
local MAP = { t_max = "iteration_limit", step_limit = "iteration_limit", solver_failure = "numerical_error",
              invalid = "numerical_error", error = "numerical_error" }
function S.status_word(s)
  if S.STATUSES[s] then return s end
  return MAP[s] or "numerical_error"
end

---------------------------------------------------------------------------
-- views
---------------------------------------------------------------------------
local function number(v)
  if math.type(v) == "integer" then return tostring(v) end
  if v ~= v then return "nan" end
  if v == math.huge then return "inf" end
  if v == -math.huge then return "-inf" end
  return string.format("%.10g", v)
end
S.number = number

-- the core fields as one line: "optimal, objective 0.32 (qp, 0.004 s)"
function S.headline(v)
  local parts = { v.status }
  if v.has_solution and type(v.objective) == "number" then parts[#parts + 1] = "objective " .. number(v.objective) end
  local head = table.concat(parts, ", ")
  if v.solver then head = head .. string.format(" (%s, %.3f s)", v.solver, v.solve_time or 0) end
  return head
end

function S.summary(v)
  local spec = S.spec_of(v)
  if spec and spec.summary then return spec.summary(v) end
  return (spec and spec.kind or "result") .. ": " .. S.headline(v)
end

-- JSON-safe copy: non-finite numbers become "inf"/"-inf"/"nan", nested
-- results their own JSON, functions and other userdata their text.
local function safe(x, seen)
  local t = type(x)
  if t == "number" then
    if x ~= x or x == math.huge or x == -math.huge then return number(x) end
    return x
  end
  if t == "table" or t == "userdata" then
    if S.spec_of(x) then return S.to_json(x) end
    if t == "userdata" then return tostring(x) end
    if seen[x] then return "(cycle)" end
    seen[x] = true
    local out = {}
    for k, y in pairs(x) do
      if type(y) ~= "function" then out[k] = safe(y, seen) end
    end
    seen[x] = nil
    return out
  end
  if t == "function" or t == "thread" then return tostring(x) end
  return x
end
S.json_safe = function(x) return safe(x, {}) end

function S.to_json(v)
  local spec = S.spec_of(v)
  local t
  if spec and spec.json then
    t = spec.json(v)
  else
    t = {}
    local skip = spec and spec.json_skip or {}
    for k, x in pairs(v) do
      if not skip[k] and type(x) ~= "function" then t[k] = x end
    end
  end
  t = safe(t, {})
  t.kind = spec and spec.kind or nil
  t.status, t.has_solution, t.solve_time, t.solver = v.status, v.has_solution, safe(v.solve_time, {}), v.solver
  t.objective = safe(v.objective, {})
  return t
end

function S.csv(v)
  local spec = S.spec_of(v)
  if spec and spec.csv then return spec.csv(v) end
  return default_csv(v)
end

-- Weights for display: entries with |w| below tol (default 1e-6) print as
-- 0, as PyPortfolioOpt's clean_weights does; the raw values stay in JSON.
S.WEIGHT_TOL = 1e-6
function S.clean(x, tol)
  if type(x) ~= "number" then return x end
  if math.abs(x) < (tol or S.WEIGHT_TOL) then return 0 end
  return x
end

-- An infeasible model's conflict (r:conflict(), an IIS), searched once per
-- result and at most CONFLICT_SECONDS, for the report and the JSON.
S.CONFLICT_SECONDS = 10
local conflicts = setmetatable({}, { __mode = "k" })
function S.model_conflict(r)
  if r.status ~= "infeasible" then return nil end
  if conflicts[r] == nil then
    local ok, c = pcall(r.conflict, r, { time_limit = S.CONFLICT_SECONDS })
    conflicts[r] = ok and c or { status = "error", text = "the conflict search failed: " .. tostring(c), items = {} }
  end
  return conflicts[r]
end

-- the model's result, a userdata made by lresult.c
S.register_native("folio.result", {
  kind = "model",
  summary = function(r) return require("folio.report").result(r) end,
  json = function(r)
    local t = r:to_table()
    local c = S.model_conflict(r)
    if c then t.conflict = { status = c.status, irreducible = c.irreducible, items = c.items, text = c.text } end
    return t
  end,
  csv = function(r)
    local rows = {}
    if r.has_solution then
      for _, c in ipairs(r:columns()) do rows[#rows + 1] = { c.name, c.value, c.reduced_cost } end
    end
    return { "variable", "value", "reduced_cost" }, rows
  end,
})

return S
