-- The Jupyter kernel's side in Lua (python/folio/kernel.py, docs/jupyter.md):
-- a cell compiled with the REPL's semantics (a trailing expression is
-- shown), each value's views for the notebook (text from the REPL's
-- printer, HTML from the report, SVG images), folio.display, and the REPL's
-- completion and :help. Runs trusted, beside the user's (maybe sandboxed)
-- environment.
local folio = require "folio"
local repl = require "folio.repl"
local results = require "folio.results"
local report = require "folio.report"
local emit = require("folio.python").emit

local K = {}
local env = _G   -- the cells' globals: _G, or the sandbox's environment

-- the sandbox's environment, with `folio` a global in it as in the REPL
-- (the read-only view its require gives)
function K:set_env(e)
  env = e
  rawset(e, "folio", e.require("folio"))
end

-- ---- values and their views -----------------------------------------------

-- an SVG picture: r:plot() in a notebook returns one, folio.svg_image(text) makes one
local SVG = { __name = "folio.svg_image" }
SVG.__index = SVG
SVG.__tostring = function(s) return ("<svg image, %d bytes>"):format(#s.svg) end
local function svg_image(text)
  if type(text) ~= "string" then error("svg_image: expects the SVG text, got a " .. type(text), 2) end
  return setmetatable({ svg = text }, SVG)
end

local function svg_of(v)
  if getmetatable(v) == SVG then return v.svg end
  if type(v) == "string" and v:match("^%s*<svg[%s>]") and v:match("</svg>%s*$") then return v end
  return nil
end

-- a result, a folio.table, or a list holding one (ta:report(r), what a
-- script returns): what the report renders
local function reported(v)
  if results.is_result(v) or folio.is_table(v) then return true end
  if type(v) ~= "table" or getmetatable(v) ~= nil or #v == 0 then return false end
  for _, x in ipairs(report.flatten({ v })) do
    if results.is_result(x) or folio.is_table(x) then return true end
  end
  return false
end

-- the views of one value: text, HTML (or false), SVG (or false). Results
-- and lists of them read as `folio run` prints them (the HTML: the report's
-- sections, html.fragment), other values as the REPL shows them.
local function views(v)
  local svg = svg_of(v)
  if svg then return tostring(svg_image(svg)), false, svg end
  if reported(v) then
    local ok, html = pcall(require("folio.html").fragment, { v })
    if ok then return report.render({ v }), html, false end
  end
  return repl.show({ v }, 1), false, false
end

-- K:views(...) -> text1, html1, svg1, text2, ... for the values given
function K:views(...)
  local out = {}
  for i = 1, select("#", ...) do
    local t, h, s = views((select(i, ...)))
    out[#out + 1], out[#out + 2], out[#out + 3] = t, h, s
  end
  return table.unpack(out)
end

local function flush()
  io.stdout:flush()
  io.stderr:flush()
end
function K:flush() flush() end

-- folio.display(x, ...): shows each value now, as a cell's result would be
function K.display(...)
  flush()
  for i = 1, select("#", ...) do
    local t, h, s = views((select(i, ...)))
    emit("display", t, h or "", s or "")
  end
end

-- io.write goes where print goes (Python's sys.stdout), so that the two
-- keep their order in the notebook
local function write(...)
  local parts = {}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if type(v) ~= "string" and type(v) ~= "number" then
      error(("bad argument #%d to 'write' (string expected, got %s)"):format(i, type(v)), 2)
    end
    parts[i] = tostring(v)
  end
  emit("stdout", table.concat(parts))
  return io.stdout
end

-- r:plot() with no file name, in a notebook: the picture the method would
-- have written, returned as an SVG image. The result classes' methods are
-- wrapped once; the file name a method gets is caught at folio.write_text.
local CATCH = "\0folio kernel: the picture\0"   -- a file name no one writes
local wrapped = setmetatable({}, { __mode = "k" })
local function picture(method)
  if wrapped[method] then return method end
  local function f(self, path, ...)
    if path ~= nil then return method(self, path, ...) end
    local saved, got = folio.write_text, nil
    folio.write_text = function(p, text, ...)
      if p == CATCH then got = text return end
      return saved(p, text, ...)
    end
    local ok, err = pcall(method, self, CATCH, ...)
    folio.write_text = saved
    if not ok then error(err, 0) end
    if got == nil then error("plot: no picture was made (pass a file name to write one)", 2) end
    return svg_image(got)
  end
  wrapped[f] = true
  return f
end

local PLOTS = { "plot", "plot_allocation", "plot_risk_contributions" }
local function classes()
  -- results.lua keeps its registered classes in an upvalue of spec_of
  for i = 1, 20 do
    local name, v = debug.getupvalue(results.spec_of, i)
    if name == nil then return nil end
    if name == "classes" then return v end
  end
end
function K:wrap_plots()
  for mt in pairs(classes() or {}) do
    for _, m in ipairs(PLOTS) do
      local f = rawget(mt, m)
      if type(f) == "function" and not wrapped[f] then rawset(mt, m, picture(f)) end
    end
  end
end

-- ---- cells ------------------------------------------------------------------

-- K:compile(code, chunkname) -> a function running the cell and returning
-- what it shows, with the REPL's semantics (repl.compile)
function K:compile(code, chunkname)
  K:wrap_plots()
  return repl.compile(code, chunkname, env)
end

-- K:load(path) -> the function running the file as `folio run` would
-- (repl.load), or nil and the reason
function K:load(path)
  K:wrap_plots()
  return repl.load(path, env)
end

-- K:hold(fn) -> a function running fn and keeping its values here, in
-- slots made now: the sandbox's memory cap holds while a cell runs, and a
-- cell that filled it with globals still hands its values over (the
-- kernel takes them with K:take, above the cap)
local held = { n = 0, done = false, false, false, false, false, false, false, false, false }
local function keep(...)
  local n = select("#", ...)
  for i = 1, n do held[i] = (select(i, ...)) end
  held.n, held.done = n, true
end
function K:hold(fn)
  held.n, held.done = 0, false
  return function() keep(fn()) end
end
function K:held() return held.done end
function K:take()
  local n = held.n
  local out = table.move(held, 1, n, 1, {})
  for i = 1, n do held[i] = false end
  held.n, held.done = 0, false
  return table.unpack(out, 1, n)
end

-- "complete", "incomplete" (the chunk ends too early) or "invalid"
function K:is_complete(code)
  if code:match("^%s*:") then return "complete" end
  if code:sub(1, 1) == "=" then code = "return " .. code:sub(2) end
  local f, err = load(code, "=cell", "t", {})
  if f then return "complete" end
  if err:match("<eof>$") then return "incomplete" end
  f = load("return " .. code, "=cell", "t", {})
  return f and "complete" or "invalid"
end

-- the last value shown is _, as in the REPL
function K:keep(v) rawset(env, "_", v) end

-- ---- completion and :help ---------------------------------------------------

function K:complete(word)
  local out = repl.complete(word, env)
  local n = math.min(#out, 500)
  return table.unpack(out, 1, n)
end

function K:help(name)
  return repl.help(name, require("folio.core").docs())
end

-- the documentation says something about name
function K:documented(name)
  local text = repl.help(name, require("folio.core").docs())
  return not text:match("^no documentation for ") and not text:match("; no documentation mentions it$")
end

-- K:setup{solver_time_limit =}: notebook conveniences, and the sandbox's
-- cap on every solve's time limit
function K:setup(o)
  folio.display = K.display
  folio.svg_image = svg_image
  if env == _G then io.write = write end
  if o and o.solver_time_limit then require("folio.deploy").wrap_solve(nil, o.solver_time_limit) end
  -- the modules whose results plot load now, so that their plot methods
  -- are wrapped before a cell first uses them
  local _ = folio.ExposureOptimizer, folio.cim
  K:wrap_plots()
end

return K
