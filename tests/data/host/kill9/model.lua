-- The kill -9 trials (bench/host/kill9.py, tests/e2e/test_kill9.sh): a
-- brief busy loop, then a value large enough that writing the outputs
-- takes a moment. Every output carries the run's token, so a checker can
-- tell which run wrote each file.
local folio = require "folio"
local token = folio.params.token or 0
local busy = folio.params.busy or 0.05
local t0 = folio.now()
while folio.now() - t0 < busy do end
local rows = {}
for i = 1, folio.params.rows or 3000 do rows[i] = { i, "run-" .. token } end
return { marker = "run-" .. token,
         rows = folio.table { title = "rows", columns = { "i", "marker" }, rows = rows } }
