-- Minimal assertion library for folio's Lua tests: each check counts, and
-- T.done() prints the closing line ctest output is read for.
local T = { passed = 0, failed = 0 }

local function report(ok, what)
  if ok then
    T.passed = T.passed + 1
  else
    T.failed = T.failed + 1
    io.stderr:write("FAIL: ", what, "\n", debug.traceback("", 3), "\n")
  end
  return ok
end

function T.ok(cond, what) return report(cond and true or false, what or "condition") end

function T.eq(got, want, what)
  return report(got == want, string.format("%s: got %s, want %s",
    what or "eq", tostring(got), tostring(want)))
end

-- |got - want| <= tol * max(1, |want|)
function T.near(got, want, tol, what)
  local ok = type(got) == "number" and math.abs(got - want) <= tol * math.max(1, math.abs(want))
  return report(ok, string.format("%s: got %s, want %s (tol %g)",
    what or "near", tostring(got), tostring(want), tol))
end

-- fn must raise an error whose message ends with `suffix` (the script
-- location that Lua prefixes is not part of the contract being checked).
function T.raises(fn, suffix, what)
  local ok, err = pcall(fn)
  err = tostring(err)
  local good = not ok and err:sub(-#suffix) == suffix
  return report(good, string.format("%s: %s", what or "raises",
    ok and "no error raised" or ("message was: " .. err .. "\n  wanted suffix: " .. suffix)))
end

-- fn must raise exactly "FILE:LINE: msg", where FILE:LINE is the line of
-- this call in the test: the whole message, and the blame on the caller's
-- own line (so the erroring call must start on that line).
function T.raises_exact(fn, msg, what)
  local at = debug.getinfo(2, "Sl")
  local want = ("%s:%d: %s"):format(at.short_src, at.currentline, msg)
  local ok, err = pcall(fn)
  err = tostring(err)
  return report(not ok and err == want, string.format("%s: %s", what or "raises_exact",
    ok and "no error raised" or ("message was: " .. err .. "\n  wanted:      " .. want)))
end

function T.done()
  print(string.format("%d passed, %d failed", T.passed, T.failed))
  if T.failed > 0 then os.exit(1) end
end

return T
