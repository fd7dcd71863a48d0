-- The audit trail (issue 15, item 6): one SHA-256 (folio.core's, which
-- run records use) over a canonical text of every input that can change
-- the answer: securities, trades, accounts with financing, haircuts and
-- limits, positions, the scenarios (their factors, and the generator's
-- parameters and seed), the objectives and the solver options. The audit
-- has a timestamp, folio's version, the objectives, each stage's status,
-- bound and gap, and per trade its account, cost and best alternative.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"
local core = require "folio.core"
local config = dofile("tests/data/trade/small.lua")

-- the SHA-256 itself, against the FIPS 180-2 vector and sha256sum
T.eq(core.sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "SHA-256 of 'abc'")

local function audit_of(cfg, opts)
  local ta = folio.TradeAssigner(cfg)
  local r = ta:solve(opts)
  return ta:audit(r), r, ta
end
local base, r, ta = audit_of(config())
T.eq(base.digest_algorithm, "sha256", "the digest algorithm")
T.ok(type(base.timestamp) == "string" and base.timestamp:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$") ~= nil,
  "a UTC timestamp: " .. tostring(base.timestamp))
T.eq(base.folio_version, folio.version, "folio's version")
T.eq(base.objectives[1].kind, "financing_cost", "the objectives")
T.eq(base.stages[1].status, "optimal", "stage 1's status")
T.ok(base.stages[1].gap ~= nil and base.stages[1].bound ~= nil, "stage 1's bound and gap")
T.near(base.stages[1].bound, r.cost, 1e-6 * r.cost + 1e-6, "stage 1's bound meets the optimum (gap closed)")
T.eq(#base.trades, 6, "one entry per trade")
for t, e in ipairs(base.trades) do
  T.eq(e.account, ta.accounts[r.assignment[t]].name, "trade " .. e.id .. ": its account")
  T.near(e.cost, ta:cost(t, r.assignment[t]), 1e-9, "trade " .. e.id .. ": its cost")
  local best, bc = nil, math.huge
  for a = 1, 3 do
    if a ~= r.assignment[t] and ta:allowed(t, a) and ta:cost(t, a) < bc then best, bc = ta.accounts[a].name, ta:cost(t, a) end
  end
  T.eq(e.best_alternative, best, "trade " .. e.id .. ": the cheapest other account")
end
-- the same inputs give the same digest (a canonical text, whatever the table order)
local again = audit_of(config())
T.eq(again.digests.inputs, base.digests.inputs, "the same inputs: the same digest")
T.eq(#base.digests.inputs, 64, "a SHA-256 hex digest")

-- every input that can change the answer changes the digest
local function changed(what, mutate, opts)
  local cfg = config()
  mutate(cfg)
  local a = audit_of(cfg, opts)
  T.ok(a.digests.inputs ~= base.digests.inputs, what .. ": the inputs digest changes")
  return a
end
local fin = changed("a financing rate", function(c) c.accounts[2].financing.government.long = 0.0121 end)
T.ok(fin.digests.accounts ~= base.digests.accounts and fin.digests.trades == base.digests.trades,
  "a financing rate: the accounts' digest, not the trades'")
local hc = changed("a haircut", function(c) c.accounts[2].metrics.coll.by_type.corporate = 0.79 end)
T.ok(hc.digests.accounts ~= base.digests.accounts, "a haircut: the accounts' digest")
changed("a position", function(c) c.accounts[1].positions.UST5 = 801 end)
changed("a limit", function(c) c.accounts[3].limits[2].rhs = 150001 end)
changed("a trade's quantity", function(c) c.trades[4].quantity = 601 end)
changed("a security's accrued", function(c) c.securities[2].accrued = 0.91 end)
local seed = changed("the scenario seed", function(c) c.scenarios.seed = 12 end)
T.ok(seed.digests.scenarios ~= base.digests.scenarios, "the scenario seed: the scenarios' digest")
changed("the objectives", function(c) c.objectives = { { "financing_cost" }, { "min_headroom" } } end)
changed("the days of financing", function(c) c.days = 31 end)
changed("a solver option", function() end, { mip_gap = 1e-3 })

-- write_audit writes the same as JSON; file digests match sha256sum
local path = os.tmpname()
ta:write_audit(r, path)
local aj = folio.read_json(path)
os.remove(path)
T.eq(aj.digests.inputs, base.digests.inputs, "write_audit: the same digest")
local csv = folio.TradeAssigner(config { securities = "models/data/pb_securities.csv", trades = {},
                                         accounts = { { name = "A", cash = 1 }, { name = "B", cash = 1 } },
                                         scenarios = { n = 0 } })
local ca = csv:audit(csv:solve())
local p = io.popen("sha256sum models/data/pb_securities.csv")
local want = p:read("l"):match("^(%x+)")
p:close()
T.eq(ca.files[1].sha256, want, "a file's digest equals sha256sum's")
T.done()
