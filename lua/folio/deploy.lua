-- Deployments: `folio run deploy.json` (docs/deploy.md). This module is the
-- host's trusted half: it reads and validates the config, expands
-- ${ENV} references, lists the rows of --each, and writes the outputs and
-- the run record. The model script itself runs in the sandbox (run.c);
-- scripts cannot require this module.
local folio = require "folio"
local core = require "folio.core"
local report = require "folio.report"
local results = require "folio.results"

-- What finish() calls, bound when the module loads, before any script
-- runs: a sandboxed script cannot reach this module, and what it can reach
-- (folio, folio.report) it sees read-only, but the record is the host's
-- own word and takes nothing from a table at call time.
local exit_code, to_json, flatten = report.exit_code, report.json, report.flatten
local is_result, is_model_result, results_in = report.is_result, report.is_model_result, report.results_in
local number, spec_of, result_csv = report.number, results.spec_of, results.csv
local is_table, version = folio.is_table, folio.version
local json_text, commit_outputs, prepare_outputs = core.json_text, core.commit_outputs, core.prepare_outputs
local journal_for, deny_read, sha256, files_read, now = core.journal_for, core.deny_read, core.sha256, core.files_read, core.now
local sha256_file = core.sha256_file

local D = {}

-- ---- schema ---------------------------------------------------------------

local SOLVER_KEYS = {
  solver = "string", time_limit = "positive", mip_gap = "nonnegative", iteration_limit = "positive",
  presolve = "boolean", method = "string", verbose = "boolean", mip_duals = "boolean",
  ranges = "boolean", feastol = "positive", reltol = "positive", abstol = "positive",
}
local SCHEMA = {
  name = "string", model = "string", data = "map", read_dirs = "list", params = "params",
  solver = SOLVER_KEYS,
  outputs = { dir = "string", json = "string", csv = "string", report = "string", record = "string" },
  sandbox = { instructions = "count", memory = "size", time = "positive", solver_time_limit = "positive" },
  trusted = "boolean",
}

local function keys_of(t)
  local k = {}
  for name in pairs(t) do k[#k + 1] = name end
  table.sort(k)
  return table.concat(k, ", ")
end

local function fail(file, key, msg)
  error(("%s: '%s' %s"):format(file, key, msg), 0)
end

-- "is not a known key (did you mean 'x'? known: ...)"
local function unknown(file, key, known)
  local names = {}
  for name in pairs(known) do names[#names + 1] = name end
  table.sort(names)
  local near = core.did_you_mean(key:match("[^.]+$"), names)
  fail(file, key, ("is not a known key (%sknown: %s)"):format(near and ("did you mean '" .. near .. "'? ") or "",
    table.concat(names, ", ")))
end

local function parse_size(s)
  if math.type(s) == "integer" and s > 0 then return s end
  if type(s) ~= "string" then return nil end
  local v, unit = s:match("^(%d+%.?%d*)%s*([kKmMgG]?)[bB]?$")
  v = tonumber(v)
  if not v or v <= 0 then return nil end
  local mult = ({ k = 2 ^ 10, m = 2 ^ 20, g = 2 ^ 30 })[unit:lower()] or 1
  return math.floor(v * mult)
end
D.parse_size = parse_size

local function check_value(file, key, kind, v)
  local t = type(v)
  if kind == "string" then
    if t ~= "string" or v == "" then fail(file, key, "must be a non-empty string, got " .. t) end
  elseif kind == "boolean" then
    if t ~= "boolean" then fail(file, key, "must be true or false, got " .. t) end
  elseif kind == "positive" then
    if t ~= "number" or not (v > 0) or v == math.huge then fail(file, key, "must be a positive number") end
  elseif kind == "count" then
    if t ~= "number" or v ~= math.floor(v) or not (v >= 1) or v >= 2 ^ 63 then
      fail(file, key, "must be a whole number >= 1, got " .. (t == "number" and report.number(v) or t))
    end
  elseif kind == "nonnegative" then
    if t ~= "number" or not (v >= 0) or v == math.huge then fail(file, key, "must be a number >= 0") end
  elseif kind == "size" then
    if not parse_size(v) then fail(file, key, "must be a size such as 512M or 2G") end
  elseif kind == "map" then
    if t ~= "table" or #v > 0 then fail(file, key, "must be an object of name: path") end
    for k, x in pairs(v) do
      if type(k) ~= "string" or not k:match("^[%a_][%w_]*$") then fail(file, key, "has a bad name '" .. tostring(k) .. "'") end
      check_value(file, key .. "." .. k, "string", x)
    end
  elseif kind == "list" then
    if t ~= "table" then fail(file, key, "must be a list of folders") end
    for k, x in pairs(v) do
      if math.type(k) ~= "integer" then fail(file, key, "must be a list of folders") end
      check_value(file, key .. "[" .. k .. "]", "string", x)
    end
  elseif kind == "params" then
    if t ~= "table" then fail(file, key, "must be an object") end
    for k, x in pairs(v) do
      local tx = type(x)
      if type(k) ~= "string" then fail(file, key, "keys must be names") end
      if tx ~= "number" and tx ~= "string" and tx ~= "boolean" and tx ~= "table" then
        fail(file, key .. "." .. k, "must be a number, string, boolean, list or object")
      end
    end
  elseif type(kind) == "table" then
    if t ~= "table" then fail(file, key, "must be an object (keys: " .. keys_of(kind) .. ")") end
    for k, x in pairs(v) do
      if not kind[k] then unknown(file, key .. "." .. tostring(k), kind) end
      check_value(file, key .. "." .. k, kind[k], x)
    end
  end
end

function D.validate(cfg, file)
  if type(cfg) ~= "table" then error(file .. ": a config must be an object", 0) end
  for k, v in pairs(cfg) do
    if not SCHEMA[k] then unknown(file, tostring(k), SCHEMA) end
    check_value(file, k, SCHEMA[k], v)
  end
  if cfg.model == nil then fail(file, "model", "is required (the model script to run)") end
  if cfg.outputs == nil or cfg.outputs.dir == nil then
    fail(file, "outputs.dir", "is required (the folder the outputs and the run record go to)")
  end
  return cfg
end

-- The output files are names inside outputs.dir (checked once their
-- ${...} are expanded).
local OUTPUT_FILES = { "json", "csv", "report", "record" }
local function check_file_names(out, file)
  for _, k in ipairs(OUTPUT_FILES) do
    local name = out[k]
    if name and not name:find("${", 1, true) and (name:find("/", 1, true) or name == "." or name == "..") then
      fail(file, "outputs." .. k, ("must be a file name in outputs.dir, got '%s'"):format(name))
    end
  end
end

-- ---- interpolation --------------------------------------------------------

-- ${NAME} and ${NAME:-default} from the environment; ${row} and
-- ${params.NAME} from the row being run (kept as they are until then); $$ is $.
local function expand(s, key, file, ctx)
  return (s:gsub("%$(%b{})", function(body)
    local inner = body:sub(2, -2)
    local name, default = inner:match("^([%w_%.]+):%-(.*)$")
    name = name or inner
    if name == "row" or name:match("^params%.") then
      if not ctx.row then return nil end    -- later, per row
      local v
      if name == "row" then v = ctx.row else v = ctx.params[name:sub(8)] end
      if v == nil then v = default end
      if v == nil then fail(file, key, "refers to ${" .. name .. "}, which this row does not set") end
      return tostring(v)
    end
    if not name:match("^[%a_][%w_]*$") then fail(file, key, "has a malformed reference ${" .. inner .. "}") end
    local v = os.getenv(name)
    if v == nil or (v == "" and default) then v = default end
    if v == nil then
      fail(file, key, "uses environment variable " .. name .. ", which is not set (write ${" .. name .. ":-default} for a default)")
    end
    return v
  end):gsub("%$%$", "$"))
end

local function expand_all(t, prefix, file, ctx)
  for k, v in pairs(t) do
    local key = prefix and (prefix .. "." .. tostring(k)) or tostring(k)
    if type(v) == "string" then t[k] = expand(v, key, file, ctx)
    elseif type(v) == "table" then expand_all(v, key, file, ctx) end
  end
end

-- ---- loading ---------------------------------------------------------------

local function dirname(p)
  local d = p:match("^(.*)/[^/]*$")
  if d == "" then return "/" end
  return d or "."
end

local function join(dir, p)
  if p:sub(1, 1) == "/" then return p end
  if dir == "." then return p end
  return dir .. "/" .. p
end

local function convert(v)
  if v == "true" then return true elseif v == "false" then return false end
  return math.tointeger(tonumber(v)) or tonumber(v) or v
end

-- --set key=value: a bare key sets params.key (model, name and trusted
-- set themselves); a dotted key whose first
-- part is a config section (solver.time_limit, outputs.dir) sets that key.
local function apply_set(cfg, kv, file)
  local key, value = kv:match("^([^=]+)=(.*)$")
  local first, rest = key:match("^([%w_]+)%.(.+)$")
  if not first and SCHEMA[key] and type(SCHEMA[key]) == "string" and SCHEMA[key] ~= "params" then
    cfg[key] = convert(value)   -- model, name, trusted
    return
  end
  if not first then
    if type(cfg.params) ~= "table" then cfg.params = {} end
    cfg.params[key] = convert(value)
    return
  end
  if not SCHEMA[first] then fail("--set", key, "is not a known key (known: " .. keys_of(SCHEMA) .. ", or a bare parameter name)") end
  cfg[first] = cfg[first] or {}
  if type(cfg[first]) ~= "table" then fail("--set", key, "sets a field of '" .. first .. "', which is not an object") end
  cfg[first][rest] = convert(value)
end

local function read_config(path, as_lua)
  local text = core.read_text(path)
  if as_lua then
    local env = {
      env = function(name, default) return os.getenv(name) or default end,
      tonumber = tonumber, tostring = tostring, string = { format = string.format, rep = string.rep },
      math = { huge = math.huge, floor = math.floor },
    }
    local chunk, err = load(text, "@" .. path, "t", env)
    if not chunk then error(err, 0) end
    local ok, cfg = pcall(chunk)
    if not ok then error(tostring(cfg), 0) end
    if type(cfg) ~= "table" then error(path .. ": a Lua config must return a table", 0) end
    return cfg
  end
  local ok, cfg = pcall(core.read_json, path)
  if not ok then error(tostring(cfg):gsub("^[^:]*:%d+: ", ""), 0) end
  return cfg
end

-- load(path, sets, as_lua) -> cfg: validated, ${ENV} expanded, paths
-- resolved against the config's folder.
function D.load(path, sets, as_lua)
  local cfg = read_config(path, as_lua)
  if type(cfg) ~= "table" then error(path .. ": a config must be an object", 0) end
  for _, kv in ipairs(sets or {}) do apply_set(cfg, kv, path) end
  D.validate(cfg, path)
  expand_all(cfg, nil, path, {})
  check_file_names(cfg.outputs, path)
  local base = dirname(path)
  cfg.config_path = path
  cfg.config_sha256 = core.sha256(core.read_text(path))
  cfg.name = cfg.name or path:match("([^/]+)$"):gsub("%.deploy%.lua$", ""):gsub("%.json$", "")
  cfg.model = join(base, cfg.model)
  local data = {}
  for k, p in pairs(cfg.data or {}) do data[k] = join(base, p) end
  cfg.data = data
  local dirs = {}
  for i, p in ipairs(cfg.read_dirs or {}) do dirs[i] = join(base, p) end
  cfg.read_dirs = dirs
  cfg.outputs.dir = join(base, cfg.outputs.dir)
  cfg.outputs.record = cfg.outputs.record or "run.json"
  cfg.params = cfg.params or {}
  cfg.solver = cfg.solver or {}
  cfg.sandbox = cfg.sandbox or {}
  cfg.trusted = cfg.trusted == true
  return cfg
end

-- ---- rows (--each, --shard) -------------------------------------------------

-- rows(cfg, csv_path, shard) -> list of {index =, id =, params =}
-- With cfg, every column but id must be a parameter the config declares
-- (params): a misspelt column would otherwise run every row on the default.
function D.rows(csv_path, shard, cfg)
  if not csv_path then
    if shard then error("--shard: needs --each (it splits the rows of a sweep)", 0) end
    return { { index = 0 } }
  end
  local t = folio.read_csv(csv_path)
  local declared = cfg and cfg.params or {}
  local names = {}
  for k in pairs(declared) do names[#names + 1] = k end
  table.sort(names)
  for _, c in ipairs(cfg and t.columns or {}) do
    if c ~= "id" and declared[c] == nil then
      local near = core.did_you_mean(c, names)
      error(("%s: column '%s' is not a parameter of the config (%sparams: %s)"):format(csv_path, c,
        near and ("did you mean '" .. near .. "'? ") or "", #names > 0 and table.concat(names, ", ") or "none declared"), 0)
    end
  end
  local i, n = 0, 1
  if shard then
    i, n = shard:match("^(%d+)/(%d+)$")
    i, n = tonumber(i), tonumber(n)
    if not i or n < 1 or i >= n then
      error(("--shard: expected I/N with 0 <= I < N, got '%s'"):format(shard), 0)
    end
  end
  local rows, seen = {}, {}
  for r = 1, t.n do
    local id = t.id and t.id[r] or string.format("row-%04d", r)
    id = tostring(id)
    if not id:match("^[%w_%.%-]+$") or id == "." or id == ".." then
      error(("%s:%d: id '%s' must be letters, digits, '.', '_' or '-' (it names the row's folder)"):format(csv_path, r + 1, id), 0)
    end
    if seen[id] then error(("%s:%d: duplicate id '%s'"):format(csv_path, r + 1, id), 0) end
    seen[id] = true
    if (r - 1) % n == i then
      local p = {}
      for _, c in ipairs(t.columns) do
        if c ~= "id" then p[c] = t[c][r] end
      end
      rows[#rows + 1] = { index = r, id = id, params = p }
    end
  end
  return rows
end

-- ---- one run ----------------------------------------------------------------

-- wrap_solve(defaults, cap, log): every m:solve gets the config's solver
-- options as defaults, a time limit no longer than cap, and is logged.
function D.wrap_solve(defaults, cap, log)
  local methods = core.model_methods
  local solve = methods.solve
  methods.solve = function(m, o)
    local opts = {}
    for k, v in pairs(defaults or {}) do opts[k] = v end
    if type(o) == "table" then for k, v in pairs(o) do opts[k] = v end end
    if cap and (type(opts.time_limit) ~= "number" or opts.time_limit <= 0 or opts.time_limit > cap) then
      opts.time_limit = cap
    end
    local r = solve(m, opts)
    if log then
      log[#log + 1] = { model = r.model, status = r.status, objective = r.has_solution and r.objective or nil,
                        solver = r.solver, solve_time_s = r.solve_time }
    end
    return r
  end
end

local function copy(t)
  if type(t) ~= "table" then return t end
  local c = {}
  for k, v in pairs(t) do c[k] = copy(v) end
  return c
end

-- job(cfg, row, cli): what one run needs: the model, its params, the
-- sandbox and the output paths (row references expanded).
function D.job(cfg, row, cli)
  local job = copy(cfg)
  local params = job.params
  for k, v in pairs(row.params or {}) do params[k] = v end
  if row.id then
    expand_all(job.outputs, "outputs", cfg.config_path, { row = row.id, params = params })
    if not cfg.outputs.dir:find("${row}", 1, true) then job.outputs.dir = join(job.outputs.dir, row.id) end
  end
  local out = job.outputs
  check_file_names(out, cfg.config_path)
  local files = {}
  for _, k in ipairs { "json", "csv", "report", "record" } do
    if out[k] then files[k] = join(out.dir, out[k]) end
  end
  if cli.json then files.json = cli.json end
  if cli.report then files.report = cli.report end
  job.files = files
  job.row = row
  job.shard = cli.shard
  -- what the sandbox may read: the model's folder, the data files' folders
  -- and read_dirs; it may write the output folder
  local reads = { dirname(job.model) }
  for _, p in pairs(job.data) do reads[#reads + 1] = dirname(p) end
  for _, p in ipairs(job.read_dirs) do reads[#reads + 1] = p end
  job.reads = reads
  job.memory = job.sandbox.memory and parse_size(job.sandbox.memory) or nil
  return job
end

-- the CSV files a run may have written: NAME.csv, or NAME-1.csv, ...
local function csv_path(files, i, n)
  if n == 1 then return files.csv end
  return (files.csv:gsub("(%.[^./]*)$", "-" .. i .. "%1"))
end
local MAX_CSV = 99

-- every path the run's outputs may take, the record's last
local function output_paths(files)
  local paths = {}
  for _, k in ipairs { "json", "csv", "report" } do
    if files[k] then paths[#paths + 1] = files[k] end
  end
  if files.csv then for i = 1, MAX_CSV do paths[#paths + 1] = csv_path(files, i, 2) end end
  paths[#paths + 1] = files.record
  return paths
end

-- begin(job): inside the run's own state, before the script: completes
-- the outputs an earlier run left half written, takes the HTML writer,
-- and gives the script copies of the parameters and data paths (the
-- record keeps the host's).
function D.begin(job)
  job.started_at = os.date("!%Y-%m-%dT%H:%M:%SZ")
  job.t0 = now()
  job.solves = {}
  job.journal = journal_for(job.files.record)
  job.html_render = job.files.report and require("folio.html").render or nil
  local warning = prepare_outputs(output_paths(job.files), job.journal)
  if warning then io.stderr:write("folio: warning: ", warning, "\n") end
  if not job.trusted then
    for _, p in ipairs(output_paths(job.files)) do deny_read(p) end
  end
  D.wrap_solve(job.solver, job.sandbox.solver_time_limit, job.solves)
  folio.params = copy(job.params)
  folio.data = copy(job.data)
end

local function digest(path)
  local ok, h, size = pcall(sha256_file, path)
  if not ok then return { path = path, error = tostring(h) } end
  return { path = path, sha256 = h, bytes = size }
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function csv_cell(v)
  if type(v) == "number" then v = number(v) end
  v = tostring(v == nil and "" or v)
  if v:find('[,"\n\r]') then v = '"' .. v:gsub('"', '""') .. '"' end
  return v
end

function D.csv_text(columns, rows)
  local out = {}
  local head = {}
  for j, c in ipairs(columns) do head[j] = csv_cell(c) end
  out[1] = table.concat(head, ",")
  for i, r in ipairs(rows) do
    local cells = {}
    for j = 1, #columns do cells[j] = csv_cell(r[j]) end
    out[i + 1] = table.concat(cells, ",")
  end
  return table.concat(out, "\n") .. "\n"
end

local function sorted_pairs(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

-- The table a value writes as CSV: a result's own view (one layout
-- whatever its outcome), a folio.table, or a plain table's scalars.
function D.csv_table(v)
  if is_result(v) then return result_csv(v) end
  if is_table(v) then return v.columns, v.rows end
  if type(v) ~= "table" then return { "value" }, { { v } } end
  if type(v.weights) == "table" then   -- a script's own table of weights
    local rc = type(v.risk_contributions) == "table" and v.risk_contributions or nil
    local rows = {}
    for _, k in ipairs(sorted_pairs(v.weights)) do rows[#rows + 1] = { k, v.weights[k], rc and rc[k] or nil } end
    return rc and { "asset", "weight", "risk_contribution" } or { "asset", "weight" }, rows
  end
  local rows = {}
  for _, k in ipairs(sorted_pairs(v)) do
    local x = v[k]
    if type(x) ~= "table" and type(x) ~= "function" and type(x) ~= "userdata" then rows[#rows + 1] = { k, x } end
  end
  return { "key", "value" }, rows
end

-- The texts of a run's outputs, in the order they are written:
-- {path =, text =}, and {path =, remove = true} for files of an earlier
-- run that this one does not write (so the folder says what this run did).
local function output_texts(job, values)
  local files, list = job.files, {}
  if files.json then list[#list + 1] = { path = files.json, text = json_text(to_json(values), files.json) } end
  if files.csv then
    local vals = flatten(values)
    for i, v in ipairs(vals) do
      list[#list + 1] = { path = csv_path(files, i, #vals), text = D.csv_text(D.csv_table(v)) }
    end
  end
  if files.report then
    list[#list + 1] = { path = files.report, text = job.html_render(values, {
      title = job.name, script = job.model, params = job.params,
      run = { started = job.started_at, duration_s = now() - job.t0, folio = version,
              row = job.row.id, config = job.config_path },
    }) }
  end
  return list
end

-- removals of this run's output paths that list does not write
local function removals(job, list)
  local written, out = {}, {}
  for _, f in ipairs(list) do written[f.path] = true end
  local files = job.files
  for _, k in ipairs { "json", "report" } do
    if files[k] and not written[files[k]] then out[#out + 1] = { path = files[k], remove = true } end
  end
  if files.csv then
    if not written[files.csv] then out[#out + 1] = { path = files.csv, remove = true } end
    for i = 1, MAX_CSV do
      local p = csv_path(files, i, 2)
      if not written[p] and exists(p) then out[#out + 1] = { path = p, remove = true } end
    end
  end
  return out
end

-- finish(job, ok, values_or_error, sandbox_facts) -> exit code, summary,
-- and the line to print on stderr when the outputs could not be written.
-- The outputs and the record are one set (core.commit_outputs): a crash
-- leaves the earlier run's files or this run's, never some of each; the
-- record is the last file of the set and vouches for the others by digest.
function D.finish(job, ok, values, facts)
  local files = job.files
  local code, status, err = 1, "error", nil
  local list = {}
  local unmade   -- the script ran, but its outputs could not be made: said on stderr
  if ok then
    code = exit_code(values)
    status = code == 0 and "solved" or "no_solution"
    local made, texts = pcall(output_texts, job, values)
    if made then list = texts else
      code, status, err = 1, "error", tostring(texts)
      unmade = "outputs not written: " .. err
    end
  else
    err = tostring(values)
  end
  if code == 1 then list = {} end
  local read = files_read()
  local model = digest(job.model)
  local inputs = {}
  for i, p in ipairs(read) do inputs[i] = digest(p) end
  local solves = job.solves
  if ok then
    for _, v in ipairs(flatten(values)) do
      if is_result(v) and not is_model_result(v) then
        solves[#solves + 1] = { model = "(returned)", kind = spec_of(v).kind,
                                status = tostring(v.status), has_solution = v.has_solution }
      end
    end
  end
  -- the summary line speaks of what the script returned: the first result
  -- without a solution, else the first objective
  local function summary_of(status_word, e)
    local summary = status_word
    local returned = (ok and e == nil) and results_in(values) or {}
    for _, v in ipairs(returned) do
      if not v.has_solution then
        local why = v.message or v.status
        if why:sub(1, #v.status + 1) ~= v.status .. ":" and why ~= v.status then why = v.status .. ": " .. why end
        summary = summary .. " (" .. why .. ")"
        returned = nil
        break
      end
    end
    for _, v in ipairs(returned or {}) do
      if type(v.objective) == "number" then summary = summary .. ", objective " .. number(v.objective) break end
    end
    if returned and #returned == 0 and e == nil then
      for _, sv in ipairs(solves) do
        if sv.objective then summary = summary .. ", objective " .. number(sv.objective) break end
      end
    end
    if e then summary = summary .. ": " .. e end
    return summary
  end
  local function record_of(c, st, e, outs)
    local out_digests = {}
    for i, f in ipairs(outs) do
      if not f.remove then out_digests[#out_digests + 1] = { path = f.path, sha256 = sha256(f.text), bytes = #f.text } end
    end
    return {
      folio_version = version, lua = _VERSION,
      name = job.name, status = st, exit_code = c, error = e,
      config = { path = job.config_path, sha256 = job.config_sha256 },
      model = model, params = job.params, row = job.row.id, shard = job.shard,
      started_at = job.started_at, duration_s = now() - job.t0, script_s = facts.script_s,
      solves = solves, inputs = inputs, outputs = out_digests,
      sandbox = { on = not job.trusted, instructions_used = facts.instructions, memory_limit = job.memory },
    }
  end
  local function commit(c, st, e, outs)
    local set = {}
    for _, f in ipairs(outs) do set[#set + 1] = f end
    for _, f in ipairs(removals(job, outs)) do set[#set + 1] = f end
    set[#set + 1] = { path = files.record, text = json_text(record_of(c, st, e, outs), files.record) }
    return pcall(commit_outputs, set, job.journal)
  end
  local wrote, werr = commit(code, status, err, list)
  if not wrote then
    -- nothing of this run was written: say so, and try to leave a record
    -- of the failure (which removes the earlier run's outputs, as any
    -- failed run does)
    werr = tostring(werr)
    code, status, err = 1, "error", werr
    commit(code, status, err, {})
    return code, summary_of(status, err), werr
  end
  return code, summary_of(status, err), unmade
end

-- encode/decode: a job crosses from the planning state to the run's own
-- state as JSON
function D.encode(cfg, row) return core.json_encode({ cfg = cfg, row = row }) end
function D.decode(text)
  local t = core.json_decode(text)
  return t.cfg, t.row
end

return D
