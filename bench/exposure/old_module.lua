-- An earlier exposure module, loaded beside the current one, for paired
-- runs (spec_defaults.lua, random_universes.lua): dir holds its
-- exposure.lua, exposure_model.lua and exposure_holdings.lua, and
-- exposure_persp.lua when it has one (e.g. from git show
-- REV:lua/folio/...). Its own modules are in place while it loads (and
-- while it runs: exposure.lua requires exposure_persp in its search); the
-- current ones are restored after.
return function(dir)
  -- the current modules first, so that none of them loads while the
  -- earlier ones are in place
  require "folio.exposure"
  local saved = {}
  for _, m in ipairs { "folio.exposure_model", "folio.exposure_holdings" } do saved[m] = package.loaded[m] end
  for _, f in ipairs { "exposure_model", "exposure_holdings" } do
    package.loaded["folio." .. f] = assert(loadfile(dir .. "/" .. f .. ".lua"))("folio." .. f)
  end
  local persp = loadfile(dir .. "/exposure_persp.lua")
  if persp then
    -- exposure.lua requires it inside its search: the earlier one is
    -- handed over through a require that sees it first
    local P = persp("folio.exposure_persp")
    local env = setmetatable({ require = function(name)
      if name == "folio.exposure_persp" then return P end
      return require(name)
    end }, { __index = _G })
    local X = assert(loadfile(dir .. "/exposure.lua", "t", env))("folio.exposure")
    for m, v in pairs(saved) do package.loaded[m] = v end
    return X
  end
  local X = assert(loadfile(dir .. "/exposure.lua"))("folio.exposure")
  for m, v in pairs(saved) do package.loaded[m] = v end
  return X
end
