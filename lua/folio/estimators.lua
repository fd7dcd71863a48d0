-- Risk and return estimation from price or return tables (the shape
-- folio.read_csv gives: t.columns, t.n, t[col][i] with nil holes). The
-- O(T n^2) kernels run in C (folio.core.stats, src/lua/lstats.c).
local core = require "folio.core"
local check = require "folio.check"
local align = require "folio.align"
local fail = check.fail
local stats = core.stats

local E = {}

local function is_date_col(name, opts)
  return name == (opts.date or "date") or name == "Date"
end

local ISO_DATE = "^%d%d%d%d%-%d%d%-%d%d"

-- prices must run forward in time: returns of shuffled or newest-first
-- rows are wrong numbers, not an error anyone would see. Dates are
-- compared when they can be: ISO dates (YYYY-MM-DD...) and numbers.
local function check_order(dates, n, c)
  local first = dates[1]
  if not (math.type(first) or (type(first) == "string" and first:match(ISO_DATE))) then return end
  local kind, prev, at = type(first), nil, nil
  for t = 1, n do
    local d = dates[t]
    if type(d) == kind then
      if prev ~= nil and not (prev < d) then
        fail(("returns: the rows are not in increasing order of '%s': row %d (%s) does not come after row %d (%s); "
          .. "sort the prices by date, oldest first"):format(c, t, tostring(d), at, tostring(prev)))
      end
      prev, at = d, t
    end
  end
end

-- folio.returns(prices [, {date = "date", kind = "simple"|"log"}]):
-- period returns p_t / p_{t-1} - 1 (or log p_t / p_{t-1}); a return is nil
-- where either price is missing. The date column is carried over; its
-- dates must increase.
function E.returns(prices, opts)
  opts = opts or {}
  if type(prices) ~= "table" or type(prices.columns) ~= "table" then
    fail("returns: expected a table from folio.read_csv (with .columns and .n)")
  end
  local kind = opts.kind or "simple"
  if kind ~= "simple" and kind ~= "log" then fail("returns: kind must be \"simple\" or \"log\"") end
  local out = { columns = {}, n = math.max(0, prices.n - 1), file = prices.file }
  local log = kind == "log"
  for _, c in ipairs(prices.columns) do
    out.columns[#out.columns + 1] = c
    local p, r = prices[c], {}
    if is_date_col(c, opts) then
      check_order(p, prices.n, c)
      for t = 2, prices.n do r[t - 1] = p[t] end
    else
      -- the loop over rows in C (core.period_returns, src/lua/ldata.c)
      local why, row
      r, why, row = core.period_returns(p, prices.n, log)
      if why == "type" then
        local v = p[row]
        local hint = type(v) == "string" and v:match(ISO_DATE)
          and (" (a date? name the date column 'date', or pass {date = '%s'})"):format(c) or ""
        fail(("returns: column '%s' row %d is not a price%s"):format(c, row, hint))
      end
      if why == "sign" then fail(("returns: column '%s' has a non-positive price at row %d"):format(c, row)) end
      if why then fail(("returns: column '%s' row %d is not a finite price (got %s)"):format(c, row, why)) end
    end
    out[c] = r
  end
  return out
end

local window   -- defined below, shared by both estimators
local RISK_METHODS = { sample = true, ewma = true, semicovariance = true, ledoit_wolf = true }
local LW_TARGETS = { constant_correlation = true, single_factor = true, identity = true }
local RISK_OPTS = { method = "string", target = "string", frequency = "number", half_life = "number",
                    span = "number", horizon = "number", lookback = "number", as_of = "string", date = "string",
                    benchmark = "number", assets = "table" }

local Risk = {}
Risk.__index = Risk

-- folio.RiskEstimator{method = "sample"|"ewma"|"semicovariance"|"ledoit_wolf",
--   target = "constant_correlation"|"single_factor"|"identity" (ledoit_wolf),
--   frequency = 252 (periods per year), half_life = or span = (ewma),
--   benchmark = 0 (semicovariance: returns below it count), horizon = 1
--   (years), lookback = rows, as_of = "YYYY-MM-DD", assets = {...}}
function E.RiskEstimator(o)
  o = o or {}
  check.options(o, "RiskEstimator", RISK_OPTS)
  local method = o.method or "sample"
  if not RISK_METHODS[method] then
    fail(("RiskEstimator: method must be sample, ewma, semicovariance or ledoit_wolf, got '%s'")
      :format(tostring(method)))
  end
  if o.target ~= nil then
    if method ~= "ledoit_wolf" then fail("RiskEstimator: target applies to method = \"ledoit_wolf\" only") end
    if not LW_TARGETS[o.target] then
      fail(("RiskEstimator: ledoit_wolf target must be constant_correlation, single_factor or identity, got '%s'")
        :format(tostring(o.target)))
    end
  end
  if method == "ewma" and not o.half_life and not o.span then
    fail("RiskEstimator: ewma needs half_life or span")
  end
  local self = setmetatable({}, Risk)
  for k, v in pairs(o) do self[k] = v end
  self.method, self.frequency, self.horizon = method, o.frequency or 252, o.horizon or 1
  return self
end

-- The rows to use: up to as_of (by the date column), then the last lookback.
function window(self, R)
  local first, last = 1, R.n
  local dates = R[self.date or "date"] or R.Date
  if self.as_of then
    if not dates then fail("RiskEstimator: as_of needs a date column") end
    last = 0
    for t = 1, R.n do if dates[t] <= self.as_of then last = t end end
  end
  if self.lookback then first = math.max(1, last - self.lookback + 1) end
  return first, last
end

-- est:estimate(returns) -> {assets, cov, vol, corr, rows, warnings}
function Risk:estimate(R)
  if type(R) ~= "table" or type(R.columns) ~= "table" then
    fail("estimate: expected a returns table (folio.returns or folio.read_csv)")
  end
  local assets = self.assets
  if not assets then
    assets = {}
    for _, c in ipairs(R.columns) do if not is_date_col(c, self) then assets[#assets + 1] = c end end
  end
  local first, last = window(self, R)
  local T = last - first + 1
  if T < 2 then fail(("estimate: %d rows in the estimation window"):format(T)) end
  local data = { n = T }
  local semi, whole = self.method == "semicovariance", first == 1 and last == R.n
  for j, a in ipairs(assets) do
    local col = R[a]
    if not col then fail(("estimate: no column '%s'"):format(a)) end
    if whole and not semi and type(col) == "table" and getmetatable(col) == nil then
      data[j] = col   -- the kernels read rows 1..T as they are: no copy needed
    else
      local c = {}
      for t = first, last do
        local v = col[t]
        if v ~= nil and semi then v = math.min(v - (self.benchmark or 0), 0) end
        c[t - first + 1] = v
      end
      data[j] = c
    end
  end
  local cov
  if self.method == "sample" then
    cov = stats.cov_pairwise(data, 1)
  elseif self.method == "semicovariance" then
    cov = stats.cov_pairwise(data, 0, false)
  elseif self.method == "ledoit_wolf" then
    local shrinkage
    cov, shrinkage = stats.ledoit_wolf(data, self.target or "constant_correlation")
    self.shrinkage = shrinkage
  else
    local alpha = self.span and 2 / (self.span + 1) or 1 - 0.5 ^ (1 / self.half_life)
    local w = {}
    for t = 1, T do w[t] = (1 - alpha) ^ (T - t) end
    cov = stats.cov_weighted(data, w)
  end
  local scale = self.frequency * self.horizon
  local k = #assets
  for i = 1, k do for j = 1, k do cov[i][j] = cov[i][j] * scale end end
  local warnings = {}
  local repaired, lmin = stats.psd_repair(cov)
  local maxd = 0
  for i = 1, k do maxd = math.max(maxd, cov[i][i]) end
  if lmin < -1e-12 * math.max(1, maxd) then
    local msg = ("covariance repaired to the nearest positive semidefinite matrix (smallest eigenvalue was %.6g)")
      :format(lmin)
    warnings[#warnings + 1] = msg
    io.stderr:write("folio: warning: ", msg, "\n")
    cov = repaired
  end
  local vol, corr = {}, {}
  for i = 1, k do vol[i] = math.sqrt(math.max(cov[i][i], 0)) end
  for i = 1, k do
    corr[i] = {}
    for j = 1, k do
      corr[i][j] = (vol[i] > 0 and vol[j] > 0) and cov[i][j] / (vol[i] * vol[j]) or (i == j and 1 or 0)
    end
  end
  -- cov and vol remember their assets, so that they align by name (folio.align)
  return { assets = assets, cov = align.label(cov, assets), vol = align.label(vol, assets), corr = corr, rows = T,
           warnings = warnings,
           shrinkage = self.method == "ledoit_wolf" and self.shrinkage or nil }
end

---------------------------------------------------------------------------
-- return estimation
---------------------------------------------------------------------------
local RET_METHODS = { mean = true, cagr = true, ewma = true, given = true, black_litterman = true }
local RET_OPTS = { method = "string", frequency = "number", half_life = "number", span = "number", values = "table",
                   lookback = "number", as_of = "string", date = "string", assets = "table",
                   market_weights = "table", risk_aversion = "number", tau = "number", views = "table" }

local Ret = {}
Ret.__index = Ret

-- folio.ReturnEstimator{method = "mean"|"cagr"|"ewma"|"given"|"black_litterman", ...}
function E.ReturnEstimator(o)
  o = o or {}
  check.options(o, "ReturnEstimator", RET_OPTS)
  local method = o.method or "mean"
  if not RET_METHODS[method] then
    fail(("ReturnEstimator: method must be mean, cagr, ewma, given or black_litterman, got '%s'")
      :format(tostring(method)))
  end
  if method == "ewma" and not o.half_life and not o.span then
    fail("ReturnEstimator: ewma needs half_life or span")
  end
  if method == "given" and type(o.values) ~= "table" then fail("ReturnEstimator: given needs values") end
  if method == "black_litterman" and (type(o.market_weights) ~= "table" or type(o.risk_aversion) ~= "number") then
    fail("ReturnEstimator: black_litterman needs market_weights and risk_aversion")
  end
  local self = setmetatable({}, Ret)
  for k, v in pairs(o) do self[k] = v end
  self.method, self.frequency = method, o.frequency or 252
  return self
end

-- Black-Litterman posterior (He and Litterman): pi = delta S w_mkt, and
-- with views P mu = Q + e, e ~ N(0, Omega),
--   mu = pi + tau S P' (P tau S P' + Omega)^{-1} (Q - P pi),
-- Omega = diag(P tau S P') / confidence by default (confidence 1).
local function black_litterman(self, assets, cov)
  local n = #assets
  local w = align.vector(self.market_weights, assets, "black_litterman", "market_weights")
  local pi = {}
  for i = 1, n do
    local s = 0
    for j = 1, n do s = s + cov[i][j] * w[j] end
    pi[i] = self.risk_aversion * s
  end
  local views = self.views
  if not views or not views.P or #views.P == 0 then return pi end
  local tau = self.tau or 0.05
  local P, Q, k = views.P, views.Q, #views.P
  if type(Q) ~= "table" or #Q ~= k then fail("black_litterman: views.Q must have one value per row of views.P") end
  local tSP = {}     -- tau S P'  (n x k)
  for i = 1, n do
    tSP[i] = {}
    for v = 1, k do
      local s = 0
      for j = 1, n do s = s + cov[i][j] * P[v][j] end
      tSP[i][v] = tau * s
    end
  end
  local M = {}       -- P tau S P' + Omega  (k x k)
  for a = 1, k do
    M[a] = {}
    for b = 1, k do
      local s = 0
      for i = 1, n do s = s + P[a][i] * tSP[i][b] end
      M[a][b] = s
    end
  end
  for a = 1, k do
    local om = views.omega and views.omega[a]
    if not om then om = M[a][a] / ((views.confidence and views.confidence[a]) or 1) end
    M[a][a] = M[a][a] + om
  end
  local r = {}
  for v = 1, k do
    local s = Q[v]
    for i = 1, n do s = s - P[v][i] * pi[i] end
    r[v] = s
  end
  local x = core.stats.solve(M, r) or fail("black_litterman: singular system")
  local mu = {}
  for i = 1, n do
    local s = pi[i]
    for v = 1, k do s = s + tSP[i][v] * x[v] end
    mu[i] = s
  end
  return mu
end

-- est:estimate(returns [, cov]) -> {assets, mu} (annualised; cov, annual,
-- only for black_litterman)
function Ret:estimate(R, cov)
  local assets = self.assets
  if not assets and R then
    assets = {}
    for _, c in ipairs(R.columns) do if not is_date_col(c, self) then assets[#assets + 1] = c end end
  end
  if not assets then fail("estimate: give returns or assets") end
  local mu = {}
  if self.method == "given" then
    mu = align.vector(self.values, assets, "estimate", "values")
  elseif self.method == "black_litterman" then
    if type(cov) ~= "table" then fail("estimate: black_litterman needs the covariance") end
    mu = black_litterman(self, assets, align.matrix(cov, assets, "estimate", "cov"))
  else
    local first, last = window(self, R)
    local f = self.frequency
    for i, a in ipairs(assets) do
      local col = R[a]
      if not col then fail(("estimate: no column '%s'"):format(a)) end
      if self.method == "mean" then
        local s, cnt = 0, 0
        for t = first, last do if col[t] ~= nil then s, cnt = s + col[t], cnt + 1 end end
        mu[i] = cnt > 0 and f * s / cnt or 0 / 0
      elseif self.method == "cagr" then
        local lg, cnt = 0, 0
        for t = first, last do if col[t] ~= nil then lg, cnt = lg + math.log(1 + col[t]), cnt + 1 end end
        mu[i] = cnt > 0 and math.exp(lg * f / cnt) - 1 or 0 / 0
      else   -- ewma: weights (1 - a)^(T-1-t) over the rows the asset has
        local alpha = self.span and 2 / (self.span + 1) or 1 - 0.5 ^ (1 / self.half_life)
        local s, sw = 0, 0
        for t = first, last do
          if col[t] ~= nil then
            local wt = (1 - alpha) ^ (last - t)
            s, sw = s + wt * col[t], sw + wt
          end
        end
        mu[i] = sw > 0 and f * s / sw or 0 / 0
      end
      if mu[i] ~= mu[i] then fail(("estimate: '%s' has no return in the window"):format(a)) end
    end
  end
  local byname = {}
  for i, a in ipairs(assets) do byname[a] = mu[i] end
  return { assets = assets, mu = require("folio.align").label(mu, assets), by_name = byname }
end

-- public entry points: a user error anywhere below blames the caller's line
check.entries(E, { "returns", "RiskEstimator", "ReturnEstimator" })
check.entries(Risk, { "estimate" })
check.entries(Ret, { "estimate" })

return E
