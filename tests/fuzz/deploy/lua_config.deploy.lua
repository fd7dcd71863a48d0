return {
  model = "broken.lua",
  params = { desk = env("FOLIO_TEST_DESK", "credit"), n = tonumber("3") },
  outputs = { dir = "out_lua", json = string.format("%s.json", "r") },
  sandbox = { memory = "1G", instructions = math.floor(1e9) },
}
