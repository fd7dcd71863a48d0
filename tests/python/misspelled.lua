-- An option misspelled on line 6: the error names this file and line.
local folio = require "folio"
local names = { "a", "b" }
local cov = { a = { a = 0.04, b = 0.01 }, b = { a = 0.01, b = 0.09 } }
local opt = folio.ExposureOptimizer()
local c = folio.ExposureConstraints { max_turnvoer = 0.1 }
local r = opt:optimize { exposures = names, cov = cov, objective = folio.MinVolatility {}, constraints = c }
return r
