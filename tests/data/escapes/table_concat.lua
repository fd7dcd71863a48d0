-- Every index reads "" through a C __index (table.concat of an empty table).
return table.concat(setmetatable({}, { __index = table.concat }), "", 1, 1e15)
