-- An earlier exposure module, loaded beside the current one, for paired
-- runs (spec_defaults.lua, random_universes.lua): dir holds its
-- exposure.lua, exposure_model.lua and exposure_holdings.lua (e.g. from
-- git show REV:lua/folio/...). Its own model and holdings modules are in
-- place while it loads; the current ones are restored after.
return function(dir)
  local saved = {}
  for _, m in ipairs { "folio.exposure_model", "folio.exposure_holdings" } do saved[m] = package.loaded[m] end
  for _, f in ipairs { "exposure_model", "exposure_holdings" } do
    package.loaded["folio." .. f] = assert(loadfile(dir .. "/" .. f .. ".lua"))("folio." .. f)
  end
  local X = assert(loadfile(dir .. "/exposure.lua"))("folio.exposure")
  for m, v in pairs(saved) do package.loaded[m] = v end
  return X
end
