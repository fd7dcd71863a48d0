-- folio: the Lua face of the engine. The heavy lifting (expressions, sums,
-- model storage, solving, data readers) lives in folio.core (C); this file
-- gathers it into one module and adds the small Lua-level helpers.
local core = require "folio.core"
local check = require "folio.check"
local fail = check.fail

local folio = {
  version = core.version,
  model = core.model,
  read_model = core.read_model,
  sum = core.sum,
  dot = core.dot,
  quad = core.quad,
  read_csv = core.read_csv,
  index = core.index,
  read_json = core.read_json,
  read_text = core.read_text,
  write_json = core.write_json,
  write_text = core.write_text,
  json_null = core.json_null,
  backends = core.backends,
  now = core.now,
  -- progress and Ctrl-C for long Lua loops (docs/progress.md)
  progress = core.progress,
  progress_done = core.progress_done,
  log = core.log,
  check_interrupt = core.check_interrupt,
  -- set by the host: --set key=value pairs and the running script's folder
  params = {},
  script_dir = ".",
}

-- m:factor_risk(name, x, {loadings = B, factor_cov = F, specific = D}):
-- the variance x'(B F B' + diag(D))x of a factor model, kept in factor
-- form. It adds k variables name.f[1..k] and rows name[1..k] with
-- name.f = L'B'x (F = LL', Cholesky) and returns sum name.f^2 + sum D x^2.
-- The QP engine then sees a diagonal Hessian and solves in O(n k^2) per
-- iteration instead of factoring an n x n matrix.
-- B[i][f] and D[i] follow the order of x's set (like folio.quad's Sigma).
core.model_methods.factor_risk = check.entry(function(m, name, x, spec)
  if type(name) ~= "string" then fail("factor_risk: name must be a string") end
  if type(spec) ~= "table" then fail("factor_risk: expected {loadings =, factor_cov =, specific =}") end
  local B, F, D = spec.loadings, spec.factor_cov, spec.specific
  if type(B) ~= "table" or type(F) ~= "table" then
    fail("factor_risk '" .. name .. "': loadings and factor_cov are required")
  end
  local xs = core.values(x)       -- x's variables in set order
  local n, k = #xs, #F
  if #B ~= n then
    fail(("factor_risk '%s': loadings have %d rows but x has %d elements"):format(name, #B, n))
  end
  if D ~= nil and (type(D) ~= "table" or #D ~= n) then
    fail(("factor_risk '%s': specific must hold %d variances"):format(name, n))
  end
  -- Cholesky F = L L'
  local L = {}
  for i = 1, k do
    if type(F[i]) ~= "table" or #F[i] ~= k then
      fail(("factor_risk '%s': factor_cov row %d must have %d entries"):format(name, i, k))
    end
    L[i] = {}
    for j = 1, i do
      if math.abs(F[i][j] - F[j][i]) > 1e-12 * (1 + math.abs(F[i][j])) then
        fail(("factor_risk '%s': factor_cov is not symmetric at [%d][%d]"):format(name, i, j))
      end
      local s = F[i][j]
      for q = 1, j - 1 do s = s - L[i][q] * L[j][q] end
      if i == j then
        if not (s > 0) then
          fail(("factor_risk '%s': factor_cov is not positive definite (pivot %d is %.6g)"):format(name, i, s))
        end
        L[i][i] = math.sqrt(s)
      else
        L[i][j] = s / L[j][j]
      end
    end
  end
  local K = {}
  for f = 1, k do K[f] = f end
  local y = m:var(name .. ".f", K)
  -- y_f = sum_i (sum_g B[i][g] L[g][f]) x_i
  m:st(name, K, function(f)
    local coef = {}
    for i = 1, n do
      local c = 0
      for g = f, k do c = c + B[i][g] * L[g][f] end
      coef[i] = c
    end
    return y[f], "==", folio.dot(coef, xs)
  end)
  local risk = folio.sum(K, function(f) return y[f] * y[f] end)
  if D then
    for i = 1, n do
      if not (D[i] >= 0) then
        fail(("factor_risk '%s': specific variance %d is negative or not a number"):format(name, i))
      end
    end
    local terms = {}
    for i = 1, n do if D[i] ~= 0 then terms[#terms + 1] = D[i] * (xs[i] * xs[i]) end end
    risk = risk + folio.sum(terms)
  end
  return risk
end)

-- m:returns_risk(name, x, R): the sample variance x'(R'R/(T-1))x of a
-- returns matrix R (T rows of n returns, already de-meaned), kept in that
-- form through factor_risk with loadings R'/sqrt(T-1) and an identity
-- factor covariance: T factor variables instead of an n x n matrix.
core.model_methods.returns_risk = check.entry(function(m, name, x, R)
  if type(R) ~= "table" or #R < 2 then
    fail("returns_risk '" .. tostring(name) .. "': R must be a list of at least 2 rows of returns")
  end
  local T, n = #R, #R[1]
  local scale = 1 / math.sqrt(T - 1)
  local B = {}
  for i = 1, n do
    local row = {}
    for t = 1, T do
      local v = R[t][i]
      if type(v) ~= "number" or v ~= v then
        fail(("returns_risk '%s': R[%d][%d] is not a number"):format(name, t, i))
      end
      row[t] = v * scale
    end
    B[i] = row
  end
  local I = {}
  for a = 1, T do
    I[a] = {}
    for b = 1, T do I[a][b] = a == b and 1 or 0 end
  end
  return core.model_methods.factor_risk(m, name, x, { loadings = B, factor_cov = I })
end)

local table_mt = { __name = "folio.table" }
table_mt.__index = table_mt

-- folio.table{title =, columns = {...}, rows = {{...}, ...}}: a table the
-- CLI prints aligned and writes to JSON as {title, columns, rows}.
function folio.table(spec)
  if type(spec) ~= "table" then fail("folio.table: expected a table {title, columns, rows}") end
  local cols, rows = spec.columns, spec.rows or {}
  if type(cols) ~= "table" or #cols == 0 then fail("folio.table: 'columns' must be a non-empty list of names") end
  for i, c in ipairs(cols) do
    if type(c) ~= "string" then fail(("folio.table: column %d is a %s, not a string"):format(i, type(c))) end
  end
  if type(rows) ~= "table" then fail("folio.table: 'rows' must be a list of rows") end
  for i, row in ipairs(rows) do
    if type(row) ~= "table" then fail(("folio.table: row %d is not a list"):format(i)) end
    for j = 1, #cols do
      local v = row[j]
      if v ~= nil and type(v) ~= "number" and type(v) ~= "string" and type(v) ~= "boolean" then
        fail(("folio.table: row %d, column '%s' holds a %s"):format(i, cols[j], type(v)))
      end
    end
  end
  return setmetatable({ title = spec.title, columns = cols, rows = rows }, table_mt)
end

function folio.is_table(v) return getmetatable(v) == table_mt end

-- folio.read_orlib(path): an OR-Library portfolio instance (Chang, Meade,
-- Beasley and Sharaiha 2000): line 1 N, then N lines "mean stdev", then
-- "i j corr" lines (1-based, upper triangle with the diagonal). Returns
-- {n =, mu =, sd =, corr =, cov =, assets = {"asset1", ...}}.
function folio.read_orlib(path)
  local ok, text = pcall(core.read_text, path)
  if not ok then fail("read_orlib: " .. tostring(text):gsub("^[^:]*:%d+: ", "")) end
  local line_no, lines = 0, {}
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  local function nums(k)
    line_no = k
    local out = {}
    for v in lines[k]:gmatch("%S+") do
      local x = tonumber(v)
      if not x then fail(("read_orlib: %s:%d: '%s' is not a number"):format(path, k, v)) end
      out[#out + 1] = x
    end
    return out
  end
  local n = math.tointeger(nums(1)[1])
  if not n or n < 1 then fail(("read_orlib: %s:1: expected the number of assets"):format(path)) end
  local r = { n = n, mu = {}, sd = {}, corr = {}, cov = {}, assets = {} }
  for i = 1, n do
    local v = lines[i + 1] and nums(i + 1) or {}
    if #v ~= 2 then fail(("read_orlib: %s:%d: expected 'mean stdev'"):format(path, i + 1)) end
    r.mu[i], r.sd[i], r.assets[i] = v[1], v[2], "asset" .. i
    r.corr[i] = {}
  end
  for k = n + 2, #lines do
    local v = nums(k)
    if #v == 3 then
      local i, j = math.tointeger(v[1]), math.tointeger(v[2])
      if not i or not j or i < 1 or j < 1 or i > n or j > n then
        fail(("read_orlib: %s:%d: asset index out of range 1..%d"):format(path, k, n))
      end
      r.corr[i][j], r.corr[j][i] = v[3], v[3]
    elseif #v ~= 0 then
      fail(("read_orlib: %s:%d: expected 'i j corr'"):format(path, k))
    end
  end
  for i = 1, n do
    r.cov[i] = {}
    for j = 1, n do
      local c = r.corr[i][j]
      if not c then fail(("read_orlib: %s: no correlation for assets %d and %d"):format(path, i, j)) end
      r.cov[i][j] = c * r.sd[i] * r.sd[j]
    end
  end
  return r
end

-- The domain APIs load on first use: a script that only builds an LP
-- does not pay for parsing them (start-up is a figure users feel).
folio.table = check.entry(folio.table)
folio.read_orlib = check.entry(folio.read_orlib)
package.loaded.folio = folio   -- the domain modules require "folio" themselves
folio.core_stats = core.stats
local lazy = {}
for _, k in ipairs { "returns", "RiskEstimator", "ReturnEstimator" } do lazy[k] = { "folio.estimators", k } end
for _, k in ipairs { "ExposureOptimizer", "ExposureConstraints", "MinVolatility", "MaxSharpeRatio",
                     "MeanVariance", "TargetReturn", "TargetVolatility", "RiskParity", "MaxDiversification",
                     "ExposureUniverse" } do
  lazy[k] = { "folio.exposure", k }
end
lazy.ExposureRiskModel = { "folio.exposure_risk", "ExposureRiskModel" }
lazy.TradeAssigner = { "folio.trade", "TradeAssigner" }
-- folio.cim{...} runs the gradient flow; folio.cim.select{...} the
-- amplitude dynamics for which assets to hold
lazy.cim = function()
  local cim = require "folio.cim"
  return setmetatable({ select = cim.select, select_exact = cim.select_exact,
                        selection_qubo = cim.selection_qubo, ising = core.ising },
                      { __call = function(_, o) return cim.cim(o) end })
end
local lazy_names = {}
for k in pairs(lazy) do lazy_names[#lazy_names + 1] = k end
table.sort(lazy_names)
setmetatable(folio, {
  __index = function(t, k)
    local spec = lazy[k]
    if spec == nil then
      -- a constructor's name misspelt fails here, not as "call a nil value"
      if type(k) == "string" and k:match("^%u") then
        local near = core.did_you_mean(k, lazy_names)
        error(("folio: no field '%s'%s"):format(k, near and (" (did you mean '" .. near .. "'?)") or ""), 2)
      end
      return nil
    end
    local v
    if type(spec) == "function" then v = spec() else v = require(spec[1])[spec[2]] end
    rawset(t, k, v)
    return v
  end,
  fields = lazy_names,   -- for the REPL's completion
})

return folio
