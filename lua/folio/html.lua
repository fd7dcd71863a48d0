-- The run report as one self-contained HTML page (docs/report.md): inline
-- CSS and SVG, no scripts, nothing fetched (a Content-Security-Policy says
-- so to the browser too). Every piece of user text goes through esc.
--   html.render(values, opts) -> string;  html.write(values, path, opts)
--   html.fragment(values) -> the sections as one element (a notebook's output)
local folio = require "folio"
local R = require "folio.report"
local results = require "folio.results"
local check = require "folio.check"
local svg = require "folio.svg"

local H = { MAX_ROWS = 200, MAX_BARS = 40 }
local esc = svg.escape
H.escape = esc

local CSS = [[
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;margin:0;background:#f5f6f8}
header,main,footer{max-width:1200px;margin:0 auto;padding:12px 24px}
header{background:#fff;border-bottom:1px solid #dde1e6;max-width:none}
h1{font-size:22px;margin:6px 0}h2{font-size:18px;margin:0 0 8px}h3{font-size:15px;margin:16px 0 6px}
section.value{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:14px 18px;margin:16px 0}
.status{display:inline-block;padding:1px 9px;border-radius:10px;font-weight:600;font-size:13px;border:1px solid}
.st-ok{background:#e3f4e6;color:#1e6b2f;border-color:#9bd3a6}
.st-warn{background:#fff3d6;color:#7a5300;border-color:#e8c56b}
.st-bad{background:#fde4e2;color:#9b1c12;border-color:#eda29b}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:6px 0}
dl.facts dt{color:#5b6573}dl.facts dd{margin:0;font-variant-numeric:tabular-nums}
.tw{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:4px 0;font-variant-numeric:tabular-nums}
th,td{padding:3px 10px;border-bottom:1px solid #e6e9ed;text-align:left;white-space:nowrap}
th{background:#eef1f4;position:sticky;top:0}
td.num{text-align:right}tr.binding td{background:#fff8e6}
caption{text-align:left;font-weight:600;padding:4px 0}
.more,.none,.note{color:#5b6573;font-style:italic;margin:4px 0}
.charts{display:flex;flex-wrap:wrap;gap:12px}
.chart svg{max-width:100%;height:auto;border:1px solid #e6e9ed;border-radius:4px;background:#fff}
.render-error{color:#9b1c12;background:#fde4e2;padding:8px;border-radius:4px}
footer{color:#5b6573;font-size:12px}
]]

local OK = { optimal = true, converged = true, feasible = true }
local BAD = { infeasible = true, unbounded = true, infeasible_or_unbounded = true, numerical_error = true,
              solver_failure = true, invalid = true, error = true, explained = true }
local RANK = { ok = 1, warn = 2, bad = 3 }

local function status_class(s)
  if OK[s] then return "ok" end
  if BAD[s] then return "bad" end
  return "warn"   -- a limit reached, a fallback, or a word we do not know
end

local function badge(s)
  return ('<span class="status st-%s" data-status="%s">%s</span>'):format(status_class(s), esc(s), esc(s))
end

local mtype, sformat, huge, abs, number = math.type, string.format, math.huge, math.abs, R.number

-- numbers to 8 significant digits (the JSON has them all)
local function fmt(v)
  if v ~= v or v == 0 or v == huge or v == -huge or mtype(v) == "integer" then return number(v) end
  return (sformat("%.8g", v))
end

-- a cell: numbers right-aligned (format: a string.format pattern for its
-- column), {html = ...} only from this file, anything else as text
local function cell(v, format)
  local t = type(v)
  if t == "number" then
    local text = (format and v == v and abs(v) ~= huge) and sformat(format, v) or fmt(v)
    return '<td class="num">' .. text .. "</td>"
  end
  if v == nil then return "<td></td>" end
  if t == "table" then return "<td>" .. (v.html or "(" .. #v .. " items)") .. "</td>" end
  return "<td>" .. esc(tostring(v)) .. "</td>"
end

-- a table of rows (already sorted usefully): the first MAX_ROWS, then how
-- many more there are; row_class(row) may mark a row (e.g. binding);
-- formats[j] formats the numbers of column j. A row's cells go into the
-- one buffer, joined once.
local function grid(name, caption, columns, rows, row_class, formats)
  local out = { ('<div class="tw"><table data-name="%s" data-rows="%d">'):format(esc(name), #rows) }
  if caption then out[#out + 1] = "<caption>" .. esc(caption) .. "</caption>" end
  local head = {}
  for j, c in ipairs(columns) do head[j] = "<th>" .. esc(c) .. "</th>" end
  out[#out + 1] = "<thead><tr>" .. table.concat(head) .. "</tr></thead><tbody>"
  local ncol, line = #columns, {}
  for i = 1, math.min(#rows, H.MAX_ROWS) do
    local row = rows[i]
    local cls = row_class and row_class(row)
    line[1] = cls and ('<tr class="%s">'):format(cls) or "<tr>"
    for j = 1, ncol do line[j + 1] = cell(row[j], formats and formats[j]) end
    line[ncol + 2] = "</tr>"
    out[#out + 1] = table.concat(line, "", 1, ncol + 2)
  end
  out[#out + 1] = "</tbody></table></div>"
  if #rows == 0 then out[#out + 1] = '<p class="none">(none)</p>' end
  if #rows > H.MAX_ROWS then
    out[#out + 1] = ('<p class="more" data-more="%d">%d more rows not shown (the first %d of %d are)</p>')
      :format(#rows - H.MAX_ROWS, #rows - H.MAX_ROWS, H.MAX_ROWS, #rows)
  end
  return table.concat(out, "\n")
end

-- facts: {{label, value}, ...} with nil values left out
local function facts(list)
  local out = { '<dl class="facts">' }
  for _, f in ipairs(list) do
    if f[2] ~= nil then
      local v = type(f[2]) == "number" and fmt(f[2]) or esc(tostring(f[2]))
      out[#out + 1] = ("<dt>%s</dt><dd>%s</dd>"):format(esc(f[1]), v)
    end
  end
  out[#out + 1] = "</dl>"
  return table.concat(out)
end

-- inline SVG: the xmlns is implied in HTML, so the page holds no URL at all
local XMLNS = ' xmlns="http://www.w3.org/2000/svg"'
local function charts(list)
  if #list == 0 then return "" end
  local out = { '<div class="charts">' }
  for _, s in ipairs(list) do
    local parts, at = {}, 1
    while true do   -- a plain search: a pattern would be tried at every byte of the picture
      local i, j = s:find(XMLNS, at, true)
      parts[#parts + 1] = s:sub(at, i and i - 1 or -1)
      if not i then break end
      at = j + 1
    end
    out[#out + 1] = '<div class="chart">' .. table.concat(parts) .. "</div>"
  end
  out[#out + 1] = "</div>"
  return table.concat(out, "\n")
end

-- key/value rows of a table; a nested table of fields (one level) as
-- dotted keys, a list of scalars joined
local function kv_rows(t, prefix, rows, depth)
  rows = rows or {}
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    local v, key = t[k], (prefix or "") .. tostring(k)
    if type(v) == "table" and getmetatable(v) == nil and (depth or 0) < 1 and #v == 0 then
      kv_rows(v, key .. ".", rows, (depth or 0) + 1)
    elseif type(v) == "table" and #v > 0 and type(v[1]) ~= "table" then
      local items = {}
      for i = 1, math.min(#v, 20) do items[i] = type(v[i]) == "number" and fmt(v[i]) or tostring(v[i]) end
      rows[#rows + 1] = { key, table.concat(items, ", ") .. (#v > 20 and (", ... (%d in all)"):format(#v) or "") }
    elseif type(v) == "table" or type(v) == "userdata" or type(v) == "function" then
      rows[#rows + 1] = { key, "(" .. type(v) .. ")" }
    else
      rows[#rows + 1] = { key, v }
    end
  end
  return rows
end

-- |v| for sorting: nil as 0, NaN last (it would break table.sort)
local function magnitude(v)
  v = math.abs(tonumber(v) or 0)
  return v == v and v or -1
end

-- rows sorted by |row[col]| descending, ties in their given order (the
-- magnitudes worked out once, not in every comparison)
local function by_magnitude(rows, col)
  local mag = {}
  for i, r in ipairs(rows) do r.pos, mag[r] = i, magnitude(r[col]) end
  table.sort(rows, function(a, b)
    local x, y = mag[a], mag[b]
    if x ~= y then return x > y end
    return a.pos < b.pos
  end)
  return rows
end

local function bars(title, rows, col, unit)
  local labels, values = {}, {}
  for i, r in ipairs(rows) do labels[i], values[i] = r[1], r[col] end
  return svg.bars { title = title, labels = labels, values = values, unit = unit, max = H.MAX_BARS }
end

---------------------------------------------------------------------------
-- one renderer per kind of value: each returns kind, name, status, body
---------------------------------------------------------------------------
local function lp_result(r)
  local info = {
    { "model", r.model }, { "solver", r.solver }, { "problem", r.is_mip and "mixed-integer" or "continuous" },
    { "objective", r.objective }, { "solve time (s)", r.solve_time },
    { r.is_mip and "nodes" or "iterations", r.is_mip and r.nodes or r.iterations },
    { "MIP bound", r.mip_bound }, { "MIP gap", r.mip_gap },
  }
  if r.status ~= "optimal" then info[#info + 1] = { "message", r.message } end
  if not r.has_solution then return "lp", r.model, r.status, facts(info) end
  local cols, rows = r:columns(), r:rows()
  table.insert(info, 4, { "size", ("%d variables, %d constraints"):format(#cols, #rows) })
  local duals = r.has_duals
  local vrows, nonzero = {}, {}
  for _, c in ipairs(cols) do
    vrows[#vrows + 1] = { c.name, c.value, c.reduced_cost }
    if math.abs(c.value) > 1e-9 then nonzero[#nonzero + 1] = vrows[#vrows] end
  end
  by_magnitude(vrows, 2)
  -- constraints: binding first, then the largest shadow prices
  local crows, prices, cmag = {}, {}, {}
  for i, row in ipairs(rows) do
    local b = R.binding(row)
    local c = { row.name, row.activity, row.lower ~= -math.huge and row.lower or nil,
                row.upper ~= math.huge and row.upper or nil, row.slack ~= math.huge and row.slack or nil,
                b and "yes" or "", row.dual, binding = b, pos = i }
    crows[i], cmag[c] = c, magnitude(row.dual)
    if b and duals and row.dual ~= 0 then prices[#prices + 1] = c end
  end
  table.sort(crows, function(a, b)
    if a.binding ~= b.binding then return a.binding end
    local x, y = cmag[a], cmag[b]
    if x ~= y then return x > y end
    return a.pos < b.pos
  end)
  local ccols = { "constraint", "activity", "lower", "upper", "slack", "binding" }
  if duals then ccols[7] = "shadow price" end
  local pics = {}
  if #nonzero > 0 then pics[#pics + 1] = bars("Largest variable values", by_magnitude(nonzero, 2), 2) end
  if #prices > 0 then pics[#pics + 1] = bars("Shadow prices of binding constraints", by_magnitude(prices, 7), 7) end
  local body = {
    facts(info), charts(pics),
    grid("variables", ("Variables (%d of %d nonzero), largest first"):format(#nonzero, #cols),
      duals and { "variable", "value", "reduced cost" } or { "variable", "value" }, vrows),
    grid("constraints", "Constraints, binding first", ccols, crows,
      function(row) return row.binding and "binding" or nil end),
  }
  return "lp", r.model, r.status, table.concat(body, "\n")
end

local function exposure_result(res)
  local pct = function(v) return v and 100 * v end
  local st = res.solver_stats or {}
  local info = {
    { "objective value", res.objective_value }, { "expected return (%)", pct(res.expected_return) },
    { "volatility (%)", pct(res.volatility) },
    { ("Sharpe ratio (rf %g%%)"):format(100 * (res.risk_free_rate or 0)), res.sharpe_ratio },
    { "diversification ratio", res.diversification_ratio },
    -- the scenarios' tail is over one scenario period, not annual
    { "CVaR (%, one scenario period)", pct(res.cvar) }, { "VaR (%, one scenario period)", pct(res.var) },
    { "exposures", res.exposures and #res.exposures }, { "solver", st.solver }, { "iterations", st.iterations },
    { "solve time (s)", st.time }, { "message", res.message },
  }
  if not res.weights then return "exposure", "exposure optimization", res.optimization_status, facts(info) end
  local pics = { res:allocation_svg { max = H.MAX_BARS } }
  if res.risk_contributions then pics[#pics + 1] = res:risk_contributions_svg { max = H.MAX_BARS } end
  -- a frontier the script attached (r.frontier = opt:efficient_frontier{...})
  local fr = res.frontier
  if type(fr) == "table" and fr.svg and #fr.points >= 2 then
    pics[#pics + 1] = fr:svg { { res.volatility, res.expected_return, "this portfolio" } }
  end
  local wrows = {}
  local rc, vol = res.risk_contributions, res.volatility
  if not (vol and vol > 0) then rc = nil end
  for _, e in ipairs(res.exposures) do
    wrows[#wrows + 1] = { e, 100 * res.weights[e], rc and 100 * rc[e] / vol }
  end
  local arows = {}
  for _, name in ipairs(res.active_constraints or {}) do
    arows[#arows + 1] = { name, (res.shadow_prices or {})[name] }
  end
  local body = {
    facts(info), charts(pics),
    grid("weights", "Weights, largest first", { "exposure", "weight %", "risk share %" }, by_magnitude(wrows, 2),
      nil, { nil, "%.4f", "%.4f" }),
    grid("active_constraints", "Binding constraints", { "constraint", "shadow price" }, arows),
  }
  return "exposure", "exposure optimization", res.optimization_status, table.concat(body, "\n")
end

local function frontier(fr)
  local prow = {}
  for i, p in ipairs(fr.points) do prow[i] = { p[1], p[2] } end
  local pics = #fr.points >= 2 and { fr:svg() } or {}
  local info = fr.message and facts { { "message", fr.message } } or ""
  return "frontier", "efficient frontier", fr.status,
    info .. charts(pics) .. grid("frontier", "Points", { "volatility", "expected return" }, prow)
end

-- any other result of the contract: its core fields, summary and CSV view
local function contract_result(v)
  local spec = results.spec_of(v)
  local info = { { "status", v.status }, { "objective", v.objective }, { "solver", v.solver },
                 { "solve time (s)", v.solve_time }, { "message", v.message } }
  local columns, rows = results.csv(v)
  return spec.kind, spec.kind .. " result", v.status,
    facts(info) .. '<pre class="summary">' .. esc(results.summary(v)) .. "</pre>\n" .. grid(spec.kind, nil, columns, rows)
end

local function cim_result(res)
  local st = res.stats or {}
  local info = {
    { "assets", #res.assets }, { "objective (energy)", res.objective }, { "energy", res.energy },
    { "integrator status", res.integrator_status }, { "gradient norm", res.grad_norm }, { "t end", res.t_end },
    { "max violation", res.max_violation }, { "distance to the reference", res.distance },
    { "penalty error", res.penalty_error }, { "reference", res.exact_note }, { "solver", res.solver },
    { "steps", st.steps }, { "rhs evaluations", st.rhs_evals }, { "time (s)", st.time }, { "message", res.message },
  }
  local pics = {}
  if res.has_solution then pics[1] = res:weights_svg { max = H.MAX_BARS } end
  if res.trajectory and #res.trajectory.t >= 2 then pics[#pics + 1] = res:trajectory_svg() end
  -- without a solution: where the flow stopped, under its own caption
  local w = res.weights_array or res.last_weights_array or {}
  local wrows = {}
  for i, a in ipairs(res.assets) do
    wrows[i] = { tostring(a), w[i], res.exact and res.exact[a], res.hard and res.hard[a] }
  end
  local body = {
    facts(info), charts(pics),
    grid("weights", res.has_solution and "Weights, largest first" or "No solution: the weights where the flow stopped",
      { "asset", res.has_solution and "flow" or "flow (stopped)", "reference optimum", "hard equalities" },
      by_magnitude(wrows, 2), nil, { nil, "%.6f", "%.6f", "%.6f" }),
  }
  return "cim", "CIM gradient flow", res.status, table.concat(body, "\n")
end

local function cim_selection(res)
  local info = {
    { "assets", #res.assets }, { "K", res.k }, { "objective", res.objective }, { "method", res.method },
    { "path", res.path }, { "runs", res.runs }, { "best QUBO energy", res.best_qubo_energy },
    { "exact QUBO energy", res.exact_qubo_energy }, { "QUBO success probability", res.qubo_success_probability },
    { "MIQP objective", res.miqp and res.miqp.objective }, { "objective gap", res.objective_gap },
    { "portfolio success probability", res.portfolio_success_probability },
    { "time per run (s)", res.time_per_run }, { "time to solution (s)", res.time_to_solution },
    { "solver", res.solver }, { "message", res.message },
  }
  local pics = res.has_solution and { res:weights_svg { max = H.MAX_BARS } } or {}
  local wrows = {}
  for _, a in ipairs(res.selected or {}) do wrows[#wrows + 1] = { tostring(a), res.weights and res.weights[a] } end
  local body = {
    facts(info), charts(pics),
    grid("weights", "Selected assets, largest weight first", { "asset", "weight" }, by_magnitude(wrows, 2), nil,
      { nil, "%.6f" }),
  }
  return "cim_selection", "CIM selection", res.status, table.concat(body, "\n")
end

local function folio_table(t)
  local pics = type(t.chart) == "string" and { t.chart } or {}
  return "table", t.title or "table", nil, charts(pics) .. grid(t.title or "table", nil, t.columns, t.rows)
end

local function plain(t)
  local status = type(t.status) == "string" and t.status or nil
  return "values", status and "summary" or "values", status, grid("values", nil, { "key", "value" }, kv_rows(t))
end

local render_value

-- a trade assigner's result (folio.trade_result): its facts (the
-- conflict when there is no assignment), the headroom chart and the
-- assignment; ta:report(res) adds the limits, cost by account and the log
local function trade_result(res)
  local body = { facts(res:facts()) }
  if res.has_solution and #res.assignment > 0 then
    local cols, rows = res:assignment_table()
    body[#body + 1] = charts({ res.assigner:headroom_svg(res) })
    body[#body + 1] = grid("Assignment", "Assignment", cols, rows)
  end
  return "trade", "trade assignment", res.status, table.concat(body, "\n")
end

local function meta_name(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__name or nil
end

-- kind, name, status (or nil), body html
function render_value(v)
  local mt = meta_name(v)
  if R.is_model_result(v) then return lp_result(v) end
  if mt == "folio.exposure_result" then return exposure_result(v) end
  if mt == "folio.frontier" then return frontier(v) end
  if mt == "folio.cim_result" then return cim_result(v) end
  if mt == "folio.cim_selection" then return cim_selection(v) end
  if folio.is_table(v) then return folio_table(v) end
  if mt == "folio.trade_result" then return trade_result(v) end
  if results.is_result(v) then return contract_result(v) end
  if type(v) == "table" then return plain(v) end
  local text = type(v) == "number" and fmt(v) or tostring(v)
  return "scalar", type(v), nil, '<p class="scalar">' .. esc(text) .. "</p>"
end

-- the header: title, overall status, script, run facts and parameters
local function header(opts, title, worst)
  local out = { "<header>", "<h1>" .. esc(title) .. "</h1>" }
  if worst then out[#out + 1] = '<p id="overall">Run status: ' .. badge(worst) .. "</p>" end
  local info = { { "script", opts.script } }
  for _, r in ipairs(kv_rows(opts.run or {})) do info[#info + 1] = r end
  out[#out + 1] = facts(info)
  if opts.params and next(opts.params) then
    out[#out + 1] = grid("params", "Parameters", { "name", "value" }, kv_rows(opts.params))
  end
  out[#out + 1] = "</header>"
  return table.concat(out, "\n")
end

-- The sections of the values (and the overview when there are several),
-- and the worst status among them
local function main_parts(values)
  local sections, overview, worst = {}, {}, nil
  for i, v in ipairs(R.flatten(values)) do
    local ok, kind, name, status, body = pcall(render_value, v)
    if not ok then
      kind, name, status, body = "error", "value " .. i, "error",
        ('<p class="render-error">could not render value %d: %s</p>'):format(i, esc(kind))
    end
    if status and (not worst or RANK[status_class(status)] > RANK[status_class(worst)]) then worst = status end
    overview[#overview + 1] = { i, kind, { html = ('<a href="#v%d">%s</a>'):format(i, esc(name)) }, status or "" }
    sections[#sections + 1] = ('<section class="value" id="v%d" data-kind="%s">\n<h2>%d. %s %s</h2>\n%s\n</section>')
      :format(i, kind, i, esc(name), status and badge(status) or "", body)
  end
  return #overview > 1 and grid("overview", "What the script returned", { "#", "kind", "name", "status" }, overview) or "",
    #sections == 0 and '<p class="none">The script returned no values.</p>' or table.concat(sections, "\n"),
    worst
end

local function check_args(values, opts, what)
  if type(values) ~= "table" then
    check.fail("html.%s: values must be the list of values the script returned, got a %s", what, type(values))
  end
  opts = opts or {}
  if type(opts) ~= "table" then check.fail("html.%s: opts must be a table {title =, script =, params =, run =}", what) end
  return opts
end

-- html.render(values, {title =, script =, params =, run =}) -> the page
function H.render(values, opts)
  opts = check_args(values, opts, "render")
  local overview, sections, worst = main_parts(values)
  local title = opts.title or (opts.script and ("folio run " .. opts.script)) or "folio run report"
  local page = {
    "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
    -- nothing may be fetched: no scripts, fonts or images from anywhere
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<link rel="icon" href="data:,">',
    "<title>" .. esc(title) .. "</title>", "<style>" .. CSS .. "</style>", "</head>", "<body>",
    header(opts, title, worst), "<main>", overview, sections,
    "</main>", ("<footer>folio %s</footer>"):format(esc(folio.version or "")), "</body>", "</html>", "",
  }
  return table.concat(page, "\n")
end

-- The page's style for a part of a page: every selector under
-- .folio-report (body's rules on it), so that it restyles nothing around it
local SCOPED_CSS = (function()
  local rules = {}
  for sels, decls in CSS:gmatch("([^{}]+){([^{}]*)}") do
    local scoped = {}
    for sel in sels:gmatch("[^,]+") do
      sel = sel:match("^%s*(.-)%s*$")
      if sel ~= "" then scoped[#scoped + 1] = sel == "body" and ".folio-report" or ".folio-report " .. sel end
    end
    rules[#rules + 1] = table.concat(scoped, ",") .. "{" .. decls .. "}"
  end
  return table.concat(rules, "\n")
end)()

-- html.fragment(values) -> the report's sections as one element, for a
-- notebook's output: a <div class="folio-report"> with the scoped style,
-- without the page's header and footer
function H.fragment(values, opts)
  check_args(values, opts, "fragment")
  local overview, sections = main_parts(values)
  return table.concat({ '<div class="folio-report"><style>' .. SCOPED_CSS .. "</style>", "<main>", overview, sections,
                        "</main>", "</div>" }, "\n")
end

-- html.write(values, path, opts): the page, written atomically
function H.write(values, path, opts)
  if type(path) ~= "string" or path == "" then check.fail("html.write: path must be a file name") end
  folio.write_text(path, H.render(values, opts))
end

check.entries(H, { "render", "fragment", "write" })

return H
