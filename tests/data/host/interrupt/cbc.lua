-- Ctrl-C during Cbc's branch and cut (tests/e2e/test_interrupt.sh)
local folio = require "folio"
local m = folio.read_model(folio.script_dir .. "/market_split.lp")
return m:solve { solver = "cbc", time_limit = 120 }
