-- folio.html: user text escaped, nothing fetched, large tables cut with a
-- note, the charts of every kind of result, status classes, and the
-- domain *_svg methods matching the files their plot methods write.
local T = dofile("tests/lua/testlib.lua")
local folio = require "folio"
local html = require "folio.html"

local EVIL = [[<script>alert(1)</script>&"]]
local EVIL_ESC = "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;"

local function count(s, pat) return select(2, s:gsub(pat, "")) end

-- the part of the page from section n to the next one
local function section(page, n)
  local a = page:find(('<section class="value" id="v%d"'):format(n), 1, true)
  if not a then return "" end
  local b = page:find("</section>", a, true)
  return page:sub(a, b)
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- 1. an LP whose names are hostile, with 250 variables (truncated)
local m = folio.model(EVIL)
local I = {}
for i = 1, 250 do I[i] = i end
local x = m:var("x", I, { lb = 0, ub = function(i) return i end })
local y = m:var(EVIL, { lb = 0 })
m:st("cap", folio.sum(x) + y, "<=", 1e6)
m:st(EVIL, y, "<=", 3)
m:maximize(folio.sum(I, function(i) return x[i] end) + 2 * y)
local r = m:solve()
T.eq(r.status, "optimal", "LP solves")
local page = html.render({ r, folio.table { title = EVIL, columns = { "a", EVIL }, rows = { { EVIL, 1 } } } },
  { title = EVIL, script = EVIL .. ".lua", params = { [EVIL] = EVIL }, run = { started = EVIL, digests = { s = EVIL } } })
T.ok(not page:find("<script", 1, true), "escaping: no <script> element in the page")
T.ok(not page:find('&"', 1, true) and not page:find("alert(1)</", 1, true), "escaping: no raw & or </ from the name")
T.ok(count(page, EVIL_ESC:gsub("%p", "%%%0")) >= 8, "escaping: the name appears escaped (title, model, variable, row, table, params, run)")
T.ok(page:sub(1, 15) == "<!DOCTYPE html>" and page:find("</html>\n$") ~= nil, "a whole HTML document")

-- nothing fetched: no URL anywhere, no scripts, no stylesheet or font links
T.ok(not page:find("https?://"), "no http(s) URL anywhere in the page")
T.ok(not page:find("<script") and not page:find("url%(") and not page:find("@import"), "no scripts, url() or @import")
for attr in page:gmatch('%s(%a+)="[^"]*"') do
  if attr == "src" then T.ok(false, "no src attribute") end
end
for link in page:gmatch("<link[^>]*>") do T.eq(link, '<link rel="icon" href="data:,">', "the only link is the empty icon") end
for href in page:gmatch('href="([^"]*)"') do T.ok(href:sub(1, 1) == "#" or href == "data:,", "href stays in the page: " .. href) end

-- the LP: status, sizes, sorted and truncated tables, both charts
local lp = section(page, 1)
T.ok(lp:find('data-status="optimal"', 1, true) and lp:find("st-ok", 1, true), "LP: an optimal status badge")
T.ok(lp:find("251 variables, 2 constraints", 1, true), "LP: the model's size")
local vars = lp:match('<table data%-name="variables" data%-rows="(%d+)"')
T.eq(vars, "251", "LP: the variables table counts every variable")
local vbody = lp:match('data%-name="variables".-</table>')
T.eq(count(vbody, "<tr>") - 1, 200, "LP: 200 variable rows shown")
T.ok(lp:find('data-more="51"', 1, true) and lp:find("51 more rows not shown", 1, true), "LP: a note on the 51 left out")
T.ok(vbody:find("<td>x%[250%]</td>") < vbody:find("<td>x%[249%]</td>"), "LP: variables by magnitude, largest first")
local cbody = lp:match('data%-name="constraints".-</table>')
T.ok(cbody:find('<tr class="binding"><td>' .. EVIL_ESC, 1, true) ~= nil, "LP: binding constraints first, escaped")
T.ok(lp:find("Largest variable values", 1, true) and lp:find("Shadow prices of binding constraints", 1, true),
  "LP: the value and shadow-price charts")
T.ok(count(lp, "<svg ") == 2 and not lp:find("xmlns", 1, true), "LP: two inline SVG charts without xmlns")
T.ok(section(page, 2):find('data-rows="1"', 1, true), "folio.table: its rows")

-- 2. a status that failed is red and sets the run status
local inf = folio.model("broken")
local z = inf:var("z", { lb = 0 })
inf:st("impossible", z, ">=", 1)
inf:st("contrary", z, "<=", 0)
inf:minimize(z)
page = html.render { r, inf:solve(), { status = "time_limit", note = "x" } }
T.ok(section(page, 2):find('class="status st-bad" data-status="infeasible"', 1, true), "infeasible: a red badge")
T.ok(section(page, 3):find('class="status st-warn" data-status="time_limit"', 1, true), "a limit: an amber badge")
T.ok(page:find('<p id="overall">Run status: <span class="status st-bad"', 1, true), "run status: the worst of the values")
T.ok(page:find('data-name="overview" data-rows="3"', 1, true), "overview: one row per value")
T.ok(page:find('<td><a href="#v2">broken</a></td>', 1, true) and page:find('id="v2"', 1, true), "overview: links to the sections")

-- 3. an exposure result with its frontier: allocation, risk, frontier
local names = { "equity", "bonds", "gold", EVIL }
local vol = { 0.16, 0.06, 0.15, 0.1 }
local cov = {}
for i = 1, 4 do
  cov[i] = {}
  for j = 1, 4 do cov[i][j] = (i == j and 1 or 0.2) * vol[i] * vol[j] end
end
local mu = { 0.08, 0.03, 0.04, 0.05 }
local opt = folio.ExposureOptimizer()
local ex = opt:optimize { exposures = names, mu = mu, cov = cov, objective = folio.MaxSharpeRatio {} }
ex.frontier = opt:efficient_frontier { exposures = names, mu = mu, cov = cov, points = 6 }
page = html.render { ex }
local xs = section(page, 1)
T.ok(xs:find('data-kind="exposure"', 1, true) and xs:find('data-status="optimal"', 1, true), "exposure: kind and status")
for _, title in ipairs { "Allocation", "Risk contributions", "Efficient frontier", "this portfolio" } do
  T.ok(xs:find(">" .. title, 1, true), "exposure chart: " .. title)
end
T.eq(count(xs, "<svg "), 3, "exposure: three charts")
T.ok(xs:find('data-name="weights" data-rows="4"', 1, true) and xs:find(EVIL_ESC, 1, true), "exposure: weights, escaped")
local standalone = section(html.render { ex.frontier }, 1)
T.ok(standalone:find('data-kind="frontier"', 1, true) and count(standalone, "<svg ") == 1, "a frontier on its own")

-- the *_svg methods are what the plot methods write
local dir = os.tmpname()
ex:plot_allocation(dir)
T.eq(read(dir), ex:allocation_svg(), "plot_allocation writes allocation_svg()")
ex:plot_risk_contributions(dir)
T.eq(read(dir), ex:risk_contributions_svg(), "plot_risk_contributions writes risk_contributions_svg()")
ex.frontier:plot(dir)
T.eq(read(dir), ex.frontier:svg(), "the frontier's plot writes its svg()")
T.raises(function() ex.allocation_svg({}) end, "allocation_svg: no solution to plot", "allocation_svg: no weights")

-- 4. a CIM run: weights and the trajectory
local cim = folio.cim { assets = { "a", "b", "c" }, mu = { 0.02, 0.01, 0.015 },
  cov = { { 0.04, 0.01, 0 }, { 0.01, 0.02, 0 }, { 0, 0, 0.03 } }, gamma = 5, samples = 40 }
page = html.render { cim }
local cs = section(page, 1)
T.ok(cs:find('data-kind="cim"', 1, true) and cs:find('data-status="converged"', 1, true), "CIM: kind and status")
T.ok(cs:find(">Weights<", 1, true) and cs:find(">Energy above its final value<", 1, true), "CIM: weights and trajectory")
T.ok(cs:find('data-name="weights" data-rows="3"', 1, true), "CIM: a weight per asset")
cim:plot(dir)
T.eq(read(dir), cim:trajectory_svg(), "cim plot writes trajectory_svg()")
os.remove(dir)

-- 5. a trade assignment, as its report and as the solve result
local ta = folio.TradeAssigner {
  securities = { { id = "B1", type = "government", price = 100, vol = 0.02 }, { id = "C1", type = "corporate", price = 95, vol = 0.05 } },
  trades = { { id = "t1", side = "buy", security = "B1", quantity = 300 }, { id = "t2", side = "buy", security = "C1", quantity = 200 } },
  accounts = {
    { name = "A", cash = 40000, financing = { default = 0.01 }, metrics = { mv = { default = 1 } },
      limits = { { name = "cash", lhs = "cash", sense = ">=", rhs = 0 } } },
    { name = EVIL, cash = 30000, financing = { default = 0.02 }, metrics = { mv = { default = 1 } },
      limits = { { name = "cash", lhs = "cash", sense = ">=", rhs = -10000 } } },
  },
  scenarios = { n = 20, seed = 3 },
}
local tr = ta:solve()
T.eq(tr.status, "optimal", "trade assignment solves")
for _, vals in ipairs { ta:report(tr), { tr } } do
  page = html.render(vals)
  T.ok(page:find("Account headroom after the trades", 1, true) and page:find(EVIL_ESC, 1, true), "trade: headroom chart, escaped")
  T.ok(page:find('data-name="Assignment" data-rows="2"', 1, true), "trade: one assignment row per trade")
  T.ok(page:find('data-status="optimal"', 1, true), "trade: the status")
end
T.eq(ta:headroom_svg(tr), ta:report(tr)[3].chart, "headroom_svg is the limits table's chart")

-- 6. writing, and the argument errors
local out = os.tmpname()
html.write({ r }, out, { title = "t" })
T.ok(read(out):find("<title>t</title>", 1, true) ~= nil, "write: the page in the file")
os.remove(out)
T.raises(function() html.render("r") end, "html.render: values must be the list of values the script returned, got a string",
  "render: values not a list")
T.raises(function() html.write({ r }, nil) end, "html.write: path must be a file name", "write: no path")
T.ok(not html.render({}):find("<section", 1, true), "no values: no sections")

-- the escape (one pass over a class of characters) against the five
-- replacements one after another, on every byte and on mixed text
do
  local function five(x)
    return (tostring(x):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"):gsub("'", "&#39;"))
  end
  local texts = { "", "plain", 3.5, 42, "a&b<c>d\"e'f", "&amp;", "<<>>&&''\"\"", "x\0y<" }
  for b = 0, 255 do texts[#texts + 1] = string.char(b) .. "z" .. string.char(b) end
  local bad = 0
  for _, x in ipairs(texts) do if html.escape(x) ~= five(x) then bad = bad + 1 end end
  T.eq(bad, 0, "escape: as the five replacements in turn")
end
T.done()
