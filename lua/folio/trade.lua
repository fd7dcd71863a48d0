-- folio.TradeAssigner{...}: book each trade of a batch to one prime-
-- brokerage account so that every account limit holds under every price
-- scenario, then optimise the objectives by priority (docs/trade_assignment.md).
--
--   folio.trade_input    the configuration, one reader per input table
--   folio.trade_solve    linear forms, the MIP with lazy scenario rows, greedy
--   folio.trade_explain  why a batch has no assignment, in the user's words
--   folio.trade_report   validator, the result class, reports, audit trail
--
-- Scenario generation and the scenario checks run in C (src/lua/ltrade.c).
-- Every public entry point is wrapped by check.entry, so a user error
-- raised anywhere below it blames the user's line.
local check = require "folio.check"
local In = require "folio.trade_input"
local Solve = require "folio.trade_solve"
local Explain = require "folio.trade_explain"
local Rep = require "folio.trade_report"
local fail = check.fail

local M = {}
local Assigner = { __name = "folio.trade_assigner" }
Assigner.__index = Assigner

M.TradeAssigner = check.entry(function(cfg)
  local self = setmetatable(In.read(cfg), Assigner)
  self.cfg = cfg
  return self
end)

local function trade_index(self, t, fn)
  if type(t) == "string" then
    for i, tr in ipairs(self.trades) do if tr.id == t then return i end end
    fail("%s: unknown trade '%s'", fn, t)
  end
  if math.type(t) ~= "integer" or t < 1 or t > #self.trades then
    fail("%s: trade must be an id or an index 1..%d (got %s)", fn, #self.trades, tostring(t))
  end
  return t
end

local function account_index(self, a, fn)
  if type(a) == "string" then
    local i = self.acc_index[a]
    if not i then fail("%s: unknown account '%s'", fn, a) end
    return i
  end
  if math.type(a) ~= "integer" or a < 1 or a > #self.accounts then
    fail("%s: account must be a name or an index 1..%d (got %s)", fn, #self.accounts, tostring(a))
  end
  return a
end

-- ta:allowed(t, a): account a takes trade t's security type
function Assigner:allowed(t, a)
  return Solve.allowed_pair(self, trade_index(self, t, "allowed"), account_index(self, a, "allowed"))
end

-- ta:cost(t, a): the financing of trade t at account a over `days`
function Assigner:cost(t, a)
  t, a = trade_index(self, t, "cost"), account_index(self, a, "cost")
  local c = self.costs[t][a]
  if c == nil then
    local tr = self.trades[t]
    fail("cost: account '%s' has no financing rate for %s %s", self.accounts[a].name, tr.type, tr.side)
  end
  return c
end

-- the scenario set (folio.scenarios: price factors, row k = scenario k)
function Assigner:scenarios() return self.scen end

-- internals (no blame of their own: they run below the entry points)
Assigner.build_rows = Solve.build_rows
Assigner.limit_row = Solve.limit_row
Assigner.build_model = Solve.build_model
Assigner.solve_stage = Solve.solve_stage
Assigner.initial_active = Solve.initial_active

-- the public entry points
Assigner.solve = Solve.solve
Assigner.greedy = Solve.greedy
Assigner.explain = Explain.explain
Assigner.validate = Rep.validate
Assigner.alternatives = Rep.alternatives
Assigner.report = Rep.report
Assigner.headroom_svg = Rep.headroom_svg
Assigner.write_audit = Rep.write_audit
Assigner.audit = Rep.audit
check.entries(Assigner, { "allowed", "cost", "scenarios", "solve", "greedy", "explain", "validate", "alternatives",
                          "report", "headroom_svg", "write_audit", "audit" })

M.Result = Rep.Result
return M
