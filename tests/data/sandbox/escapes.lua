-- Escape attempts, each run under pcall; returns {name = error text}. The
-- e2e test checks every one was refused and how.
local folio = require "folio"
local out = {}
local function try(name, f)
  local ok, a, b = pcall(f)
  if ok then out[name] = "ESCAPED: " .. tostring(a) .. " " .. tostring(b) else out[name] = tostring(a) end
end
try("io", function() return io.open("/etc/hostname"):read("a") end)
try("os", function() return os.execute("true") end)
try("require_os", function() return require("os") end)
try("require_io", function() return require("io") end)
try("require_debug", function() return require("debug") end)
try("require_core", function() return require("folio.core") end)
try("require_deploy", function() return require("folio.deploy") end)
try("require_cmodule", function() return require("cjson") end)
try("package", function() return package.loadlib("libc.so.6", "system") end)
try("dofile", function() return dofile("/etc/hostname") end)
try("loadfile", function() return loadfile("/etc/hostname") end)
try("load_binary", function()
  local dump = ("").dump                      -- the real string.dump, via strings
  local f, err = load(dump(function() return 1 end))
  if f then return "loaded" end
  error(err)
end)
try("load_binary_mode", function()
  local f, err = load(("").dump(function() return 1 end), "x", "b")
  if f then return "loaded" end
  error(err)
end)
try("load_env_escape", function() return assert(load("return io")(), "loaded chunks see the sandbox, not _G") end)
try("string_metatable", function() return getmetatable("").__index end)
try("collectgarbage_stop", function() return collectgarbage("stop") end)
try("read_csv_outside", function() return folio.read_csv("/etc/passwd") end)
try("read_text_dotdot", function() return folio.read_text(folio.script_dir .. "/../../../../etc/hostname") end)
try("read_json_symlink", function() return folio.read_text(folio.script_dir .. "/link_out/hostname") end)
try("read_model_outside", function() return folio.read_model("/etc/x.lp") end)
try("read_orlib_outside", function() return folio.read_orlib("/etc/hostname") end)
try("write_text_outside", function() return folio.write_text("/tmp/folio_sandbox_pwned.txt", "x") end)
try("write_json_here", function() return folio.write_json(folio.script_dir .. "/pwned.json", {}) end)
try("model_write_outside", function()
  local m = folio.model("m")
  local x = m:var("x")
  m:minimize(x)
  return m:write("/tmp/folio_sandbox_pwned.lp")
end)
-- allowed: reading beside the script, and plain computation
local ok_read = pcall(folio.read_csv, folio.script_dir .. "/allowed.csv")
out.allowed_read = ok_read and "ok" or "refused"
return out
