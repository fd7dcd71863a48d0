-- folio.ExposureRiskModel (docs/exposure_optimizer.md, "Risk model"): the
-- spec's ExposureRiskModel. Covariance and correlation by name as of a
-- date, and for any weights the portfolio's risk (with or without the
-- exposures' specific risk), its risk contributions, diversification
-- ratio and parametric (normal) value at risk and CVaR at the model's
-- confidence level.
local check = require "folio.check"
local align = require "folio.align"
local fail = check.fail

local R = {}
local Model = {}
Model.__index = Model

local OPTIONS = { risk_estimator = "table", returns = "table", cov = "table", exposures = "table",
                  confidence_level = "number", specific_risk = "table", estimation_date = "string",
                  mu = "table", return_estimator = "table" }

-- folio.ExposureRiskModel{risk_estimator =, returns = | cov =, exposures =,
--   confidence_level = 0.95, specific_risk = {e = annual volatility},
--   estimation_date = "YYYY-MM-DD", mu = | return_estimator =}
function R.ExposureRiskModel(o)
  check.options(o, "ExposureRiskModel", OPTIONS)
  o = o or {}
  local cl = o.confidence_level or 0.95
  if not (cl > 0 and cl < 1) then fail("ExposureRiskModel: confidence_level must be in (0, 1) (got %s)", tostring(cl)) end
  if o.risk_estimator and not o.returns then fail("ExposureRiskModel: a risk_estimator needs returns") end
  if not o.risk_estimator and not o.cov then fail("ExposureRiskModel: give risk_estimator and returns, or cov") end
  if o.cov and o.risk_estimator then fail("ExposureRiskModel: give risk_estimator or cov, not both") end
  if o.cov and not (o.exposures or (type(o.cov.assets) == "table") or align.labels_of(o.cov)) then
    fail("ExposureRiskModel: a cov needs its exposures (exposures = {...}) unless it is an estimate")
  end
  for e, v in pairs(o.specific_risk or {}) do
    if type(v) ~= "number" or v < 0 then fail("ExposureRiskModel: specific_risk['%s'] must be a volatility >= 0", tostring(e)) end
  end
  return setmetatable({ risk_estimator = o.risk_estimator, return_estimator = o.return_estimator, returns = o.returns,
                        cov = o.cov, exposures = o.exposures, confidence_level = cl,
                        specific_risk = o.specific_risk or {}, estimation_date = o.estimation_date, mu = o.mu }, Model)
end

-- the names of keyed weights, in the model's order when it has one
local function names_of(self, w, fn)
  if type(w) ~= "table" then fail("%s: weights must be a table keyed by exposure", fn) end
  local names = {}
  for k, v in pairs(w) do
    if type(k) ~= "string" then fail("%s: weights must be keyed by exposure name", fn) end
    if type(v) ~= "number" or v ~= v then fail("%s: weights['%s'] must be a number", fn, k) end
    names[#names + 1] = k
  end
  table.sort(names)
  if #names == 0 then fail("%s: no weights", fn) end
  return names
end

local function estimate(est, date, returns)
  local copy = setmetatable({}, getmetatable(est))
  for k, v in pairs(est) do copy[k] = v end
  if date then copy.as_of = date end
  return copy:estimate(returns)
end

-- the covariance of names (rows aligned with them) as of date
local function cov_of(self, names, date, fn)
  date = date or self.estimation_date
  if self.cov then
    if date and date ~= self.estimation_date then
      fail("%s: the model holds one covariance; an estimation date needs a risk_estimator", fn)
    end
    local M = self.cov
    if self.exposures and not align.labels_of(M) and type(M.assets) ~= "table" then M = align.label(M, self.exposures) end
    return align.matrix(M, names, fn, "cov")
  end
  if date ~= nil and type(date) ~= "string" then fail("%s: estimation_date must be a date string", fn) end
  return align.matrix(estimate(self.risk_estimator, date, self.returns), names, fn, "cov")
end

local function keyed(names, M)
  local out = {}
  for i, a in ipairs(names) do
    out[a] = {}
    for j, b in ipairs(names) do out[a][b] = M[i][j] end
  end
  return out
end

-- rm:covariance(exposures [, date]) -> cov keyed by name both ways
function Model:covariance(exposures, date)
  if type(exposures) ~= "table" or #exposures == 0 then fail("covariance: exposures must be a list of names") end
  return keyed(exposures, cov_of(self, exposures, date, "covariance"))
end

-- rm:correlation(exposures [, date]) -> correlation keyed by name both ways
function Model:correlation(exposures, date)
  if type(exposures) ~= "table" or #exposures == 0 then fail("correlation: exposures must be a list of names") end
  local S = cov_of(self, exposures, date, "correlation")
  local C = {}
  for i = 1, #exposures do
    C[i] = {}
    for j = 1, #exposures do
      local d = math.sqrt(S[i][i] * S[j][j])
      C[i][j] = d > 0 and S[i][j] / d or (i == j and 1 or 0)
    end
  end
  return keyed(exposures, C)
end

-- w'Sw (+ sum w_i^2 s_i^2 with specific risk), Sw, and the aligned vectors
local function parts(self, w, fn, specific)
  local names = names_of(self, w, fn)
  local S = cov_of(self, names, nil, fn)
  local n = #names
  local wv, sw, var = {}, {}, 0
  for i, e in ipairs(names) do wv[i] = w[e] end
  for i = 1, n do
    local s = 0
    for j = 1, n do s = s + S[i][j] * wv[j] end
    if specific then s = s + (self.specific_risk[names[i]] or 0) ^ 2 * wv[i] end
    sw[i] = s
    var = var + wv[i] * s
  end
  return names, wv, sw, var, S
end

local function flag(o, fn)
  if type(o) == "boolean" then return o end   -- the spec's positional include_specific_risk
  check.options(o, fn, { include_specific_risk = "boolean" })
  return not o or o.include_specific_risk ~= false
end

-- rm:portfolio_risk(weights, {include_specific_risk = true}) -> volatility
function Model:portfolio_risk(w, o)
  local _, _, _, var = parts(self, w, "portfolio_risk", flag(o, "portfolio_risk"))
  return math.sqrt(math.max(var, 0))
end

-- rm:risk_contributions(weights, {include_specific_risk = true}) ->
-- {e = w_e (Sw)_e / sigma}, summing to the volatility
function Model:risk_contributions(w, o)
  local names, wv, sw, var = parts(self, w, "risk_contributions", flag(o, "risk_contributions"))
  local vol, out = math.sqrt(math.max(var, 0)), {}
  for i, e in ipairs(names) do out[e] = vol > 0 and wv[i] * sw[i] / vol or 0 end
  return out
end

-- rm:diversification_ratio(weights) -> sum |w_i| sigma_i / sigma (with
-- specific risk in both unless include_specific_risk = false)
function Model:diversification_ratio(w, o)
  local spec = flag(o, "diversification_ratio")
  local names, wv, _, var, S = parts(self, w, "diversification_ratio", spec)
  local num = 0
  for i, e in ipairs(names) do
    num = num + math.abs(wv[i]) * math.sqrt(S[i][i] + (spec and (self.specific_risk[e] or 0) ^ 2 or 0))
  end
  local vol = math.sqrt(math.max(var, 0))
  return vol > 0 and num / vol or nil
end

-- the standard normal quantile: Acklam's rational approximation (relative
-- error below 1.2e-9)
local function norm_inv(p)
  local a = { -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
              -3.066479806614716e+01, 2.506628277459239e+00 }
  local b = { -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
              -1.328068155288572e+01 }
  local c = { -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
              4.374664141464968e+00, 2.938163982698783e+00 }
  local d = { 7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00 }
  local lo = 0.02425
  if p < lo then
    local q = math.sqrt(-2 * math.log(p))
    return (((((c[1] * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) * q + c[6])
         / ((((d[1] * q + d[2]) * q + d[3]) * q + d[4]) * q + 1)
  elseif p > 1 - lo then
    local q = math.sqrt(-2 * math.log(1 - p))
    return -(((((c[1] * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) * q + c[6])
         / ((((d[1] * q + d[2]) * q + d[3]) * q + d[4]) * q + 1)
  end
  local q = p - 0.5
  local r = q * q
  return (((((a[1] * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * r + a[6]) * q
       / (((((b[1] * r + b[2]) * r + b[3]) * r + b[4]) * r + b[5]) * r + 1)
end
R.norm_inv = norm_inv

-- the expected return of weights w: the model's mu (or return estimator
-- as of its date), 0 without one
local function mean_of(self, w, names, fn)
  local mu = self.mu
  if not mu and self.return_estimator then mu = estimate(self.return_estimator, self.estimation_date, self.returns) end
  if not mu then return 0 end
  if self.exposures and not align.labels_of(mu) and type(mu.assets) ~= "table" and #mu > 0 then
    mu = align.label(mu, self.exposures)
  end
  local m = align.vector(mu, names, fn, "mu")
  local s = 0
  for i, e in ipairs(names) do s = s + m[i] * w[e] end
  return s
end

-- rm:value_at_risk(weights) and rm:cvar(weights): parametric (normal) loss
-- at the confidence level c over the covariance's horizon:
--   VaR = z_c sigma - mu'w,  CVaR = sigma phi(z_c) / (1 - c) - mu'w
function Model:value_at_risk(w, o)
  local names, _, _, var = parts(self, w, "value_at_risk", flag(o, "value_at_risk"))
  return norm_inv(self.confidence_level) * math.sqrt(math.max(var, 0)) - mean_of(self, w, names, "value_at_risk")
end

function Model:cvar(w, o)
  local names, _, _, var = parts(self, w, "cvar", flag(o, "cvar"))
  local z = norm_inv(self.confidence_level)
  local phi = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
  return math.sqrt(math.max(var, 0)) * phi / (1 - self.confidence_level) - mean_of(self, w, names, "cvar")
end

-- the spec's names
Model.get_covariance_matrix = Model.covariance
Model.get_correlation_matrix = Model.correlation
Model.calculate_portfolio_risk = Model.portfolio_risk
Model.calculate_risk_contributions = Model.risk_contributions
Model.calculate_diversification_ratio = Model.diversification_ratio

check.entries(Model, { "covariance", "correlation", "portfolio_risk", "risk_contributions", "diversification_ratio",
                       "value_at_risk", "cvar", "get_covariance_matrix", "get_correlation_matrix",
                       "calculate_portfolio_risk", "calculate_risk_contributions", "calculate_diversification_ratio" })
R.ExposureRiskModel = check.entry(R.ExposureRiskModel)
return R
