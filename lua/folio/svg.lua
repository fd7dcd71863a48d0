-- Small self-contained SVG charts (no scripts, no external resources) for
-- the reports: horizontal bars and a line chart.
local S = {}

local function esc(s)
  return (tostring(s):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

local function num(v) return string.format("%.2f", v) end

-- S.bars{title =, labels = {...}, values = {...}, unit = "%"} -> svg text
function S.bars(o)
  local labels, values = o.labels, o.values
  local n = #labels
  local row, left, width, top = 22, 170, 360, 40
  local h = top + n * row + 30
  local lo, hi = 0, 0
  for i = 1, n do lo = math.min(lo, values[i]); hi = math.max(hi, values[i]) end
  if hi == lo then hi = lo + 1 end
  local function x(v) return left + (v - lo) / (hi - lo) * width end
  local out = {
    ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">')
      :format(left + width + 90, h, left + width + 90, h),
    ('<text x="10" y="20" font-size="14" font-weight="bold">%s</text>'):format(esc(o.title or "")),
    ('<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#888"/>'):format(num(x(0)), top - 5, num(x(0)), top + n * row),
  }
  for i = 1, n do
    local y = top + (i - 1) * row
    local x0, x1 = x(math.min(0, values[i])), x(math.max(0, values[i]))
    out[#out + 1] = ('<text x="%d" y="%d" text-anchor="end">%s</text>'):format(left - 6, y + 14, esc(labels[i]))
    out[#out + 1] = ('<rect x="%s" y="%d" width="%s" height="%d" fill="%s"/>')
      :format(num(x0), y + 3, num(math.max(x1 - x0, 0.5)), row - 6, values[i] < 0 and "#c0504d" or "#4f81bd")
    out[#out + 1] = ('<text x="%s" y="%d">%s%s</text>'):format(num(x1 + 4), y + 14,
      string.format("%.2f", values[i]), esc(o.unit or ""))
  end
  out[#out + 1] = "</svg>\n"
  return table.concat(out, "\n")
end

-- S.line{title =, xlabel =, ylabel =, points = {{x, y}, ...}, marks = {{x, y, label}}}
function S.line(o)
  local pts = o.points
  local W, H, L, T, B = 520, 340, 60, 40, 50
  local xmin, xmax, ymin, ymax = math.huge, -math.huge, math.huge, -math.huge
  for _, p in ipairs(pts) do
    xmin, xmax = math.min(xmin, p[1]), math.max(xmax, p[1])
    ymin, ymax = math.min(ymin, p[2]), math.max(ymax, p[2])
  end
  for _, p in ipairs(o.marks or {}) do
    xmin, xmax = math.min(xmin, p[1]), math.max(xmax, p[1])
    ymin, ymax = math.min(ymin, p[2]), math.max(ymax, p[2])
  end
  if xmax == xmin then xmax = xmin + 1 end
  if ymax == ymin then ymax = ymin + 1 end
  local function px(v) return L + (v - xmin) / (xmax - xmin) * (W - L - 20) end
  local function py(v) return H - B - (v - ymin) / (ymax - ymin) * (H - T - B) end
  local path = {}
  for i, p in ipairs(pts) do path[i] = (i == 1 and "M" or "L") .. num(px(p[1])) .. "," .. num(py(p[2])) end
  local out = {
    ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">')
      :format(W, H, W, H),
    ('<text x="10" y="20" font-size="14" font-weight="bold">%s</text>'):format(esc(o.title or "")),
    ('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>'):format(L, H - B, W - 20, H - B),
    ('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>'):format(L, T, L, H - B),
    ('<text x="%d" y="%d" text-anchor="middle">%s</text>'):format((W + L) // 2, H - 12, esc(o.xlabel or "")),
    ('<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">%s</text>')
      :format((H - B + T) // 2, (H - B + T) // 2, esc(o.ylabel or "")),
    ('<text x="%d" y="%d">%.4g</text><text x="%d" y="%d" text-anchor="end">%.4g</text>')
      :format(L, H - B + 16, xmin, W - 20, H - B + 16, xmax),
    ('<text x="%d" y="%d" text-anchor="end">%.4g</text><text x="%d" y="%d" text-anchor="end">%.4g</text>')
      :format(L - 4, H - B, ymin, L - 4, T + 4, ymax),
    ('<path d="%s" fill="none" stroke="#4f81bd" stroke-width="2"/>'):format(table.concat(path, " ")),
  }
  for _, p in ipairs(o.marks or {}) do
    out[#out + 1] = ('<circle cx="%s" cy="%s" r="4" fill="#c0504d"/><text x="%s" y="%s">%s</text>')
      :format(num(px(p[1])), num(py(p[2])), num(px(p[1]) + 6), num(py(p[2]) - 6), esc(p[3] or ""))
  end
  out[#out + 1] = "</svg>\n"
  return table.concat(out, "\n")
end

return S
