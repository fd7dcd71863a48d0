-- Small self-contained SVG charts (no scripts, no external resources) for
-- the reports: horizontal bars and a line chart.
local S = {}

-- text for an element or a quoted attribute, in SVG and in HTML alike
local ENTITY = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }
local function esc(s)
  s = tostring(s)
  if not s:find("[&<>\"']") then return s end   -- most text: nothing to replace
  return (s:gsub("[&<>\"']", ENTITY))
end
S.escape = esc

local function num(v) return string.format("%.2f", v) end

-- the largest max values by magnitude, in their given order, and how many
-- were left out
local function largest(labels, values, max)
  if not max or #labels <= max then return labels, values, 0 end
  local idx = {}
  for i = 1, #labels do idx[i] = i end
  local function mag(v) return v == v and math.abs(v) or -1 end   -- NaN last
  table.sort(idx, function(a, b)
    local x, y = mag(values[a]), mag(values[b])
    if x ~= y then return x > y end
    return a < b
  end)
  local keep = {}
  for k = 1, max do keep[k] = idx[k] end
  table.sort(keep)
  local l, v = {}, {}
  for k, i in ipairs(keep) do l[k], v[k] = labels[i], values[i] end
  return l, v, #labels - max
end

-- S.bars{title =, labels = {...}, values = {...}, unit = "%", max = n} ->
-- svg text; with max, only the n largest bars by magnitude are drawn
function S.bars(o)
  local labels, values, left_out = largest(o.labels, o.values, o.max)
  local n = #labels
  -- the label column widens for long labels (about 7 px a character)
  local longest = 0
  for i = 1, n do longest = math.max(longest, #tostring(labels[i])) end
  local row, left, width, top = 22, math.min(400, math.max(170, 7 * longest + 16)), 360, 40
  local h = top + n * row + 30 + (left_out > 0 and row or 0)
  local lo, hi = 0, 0
  for i = 1, n do lo = math.min(lo, values[i]); hi = math.max(hi, values[i]) end
  if hi == lo then hi = lo + 1 end
  local function x(v) return left + (v - lo) / (hi - lo) * width end
  -- two decimals, or three significant digits when every bar is small
  -- (shadow prices); noise a millionth of the largest bar reads as 0
  local span = math.max(-lo, hi)
  local function label(v)
    if math.abs(v) < 1e-6 * span then v = 0 end
    return string.format((span >= 1 or v == 0) and "%.2f" or "%.3g", v)
  end
  local out = {
    ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">')
      :format(left + width + 90, h, left + width + 90, h),
    ('<text x="10" y="20" font-size="14" font-weight="bold">%s</text>'):format(esc(o.title or "")),
    ('<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#888"/>'):format(num(x(0)), top - 5, num(x(0)), top + n * row),
  }
  -- a bar's label, bar and value in one format (%.2f is num's)
  local BAR = '<text x="%d" y="%d" text-anchor="end">%s</text>\n<rect x="%.2f" y="%d" width="%.2f" height="%d" fill="%s"/>'
    .. '\n<text x="%.2f" y="%d">%s%s</text>'
  local unit = esc(o.unit or "")
  for i = 1, n do
    local y = top + (i - 1) * row
    local x0, x1 = x(math.min(0, values[i])), x(math.max(0, values[i]))
    out[#out + 1] = BAR:format(left - 6, y + 14, esc(labels[i]), x0, y + 3, math.max(x1 - x0, 0.5), row - 6,
      values[i] < 0 and "#c0504d" or "#4f81bd", x1 + 4, y + 14, label(values[i]), unit)
  end
  if left_out > 0 then
    out[#out + 1] = ('<text x="%d" y="%d">(%d smaller not shown)</text>'):format(left, top + n * row + 18, left_out)
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

-- S.series{title =, xlabel =, ylabel =, series = {{name =, points = {{x, y}, ...}}, ...},
--   xlog =, ylog =}: several lines with a legend; on a log axis points at
--   or below zero are left out
local COLORS = { "#4f81bd", "#c0504d", "#9bbb59", "#8064a2", "#4bacc6", "#f79646", "#2c4d75", "#772c2a",
                 "#5f7530", "#4d3b62" }
function S.series(o)
  local W, H, L, T, B, R = 620, 320, 70, 40, 50, 150
  local function tx(v) return o.xlog and math.log(v, 10) or v end
  local function ty(v) return o.ylog and math.log(v, 10) or v end
  local function ok(p) return (not o.xlog or p[1] > 0) and (not o.ylog or p[2] > 0) end
  local xmin, xmax, ymin, ymax = math.huge, -math.huge, math.huge, -math.huge
  for _, sr in ipairs(o.series) do
    for _, p in ipairs(sr.points) do
      if ok(p) then
        xmin, xmax = math.min(xmin, tx(p[1])), math.max(xmax, tx(p[1]))
        ymin, ymax = math.min(ymin, ty(p[2])), math.max(ymax, ty(p[2]))
      end
    end
  end
  if xmin == math.huge then xmin, xmax, ymin, ymax = 0, 1, 0, 1 end
  if xmax == xmin then xmax = xmin + 1 end
  if ymax == ymin then ymax = ymin + 1 end
  local function px(v) return L + (tx(v) - xmin) / (xmax - xmin) * (W - L - R) end
  local function py(v) return H - B - (ty(v) - ymin) / (ymax - ymin) * (H - T - B) end
  local function label(v, log) return string.format("%.3g", log and 10 ^ v or v) end
  local out = {
    ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">')
      :format(W, H, W, H),
    ('<text x="10" y="20" font-size="14" font-weight="bold">%s</text>'):format(esc(o.title or "")),
    ('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>'):format(L, H - B, W - R, H - B),
    ('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>'):format(L, T, L, H - B),
    ('<text x="%d" y="%d" text-anchor="middle">%s%s</text>'):format((W - R + L) // 2, H - 12, esc(o.xlabel or ""),
      o.xlog and " (log scale)" or ""),
    ('<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">%s%s</text>')
      :format((H - B + T) // 2, (H - B + T) // 2, esc(o.ylabel or ""), o.ylog and " (log)" or ""),
    ('<text x="%d" y="%d">%s</text><text x="%d" y="%d" text-anchor="end">%s</text>')
      :format(L, H - B + 16, label(xmin, o.xlog), W - R, H - B + 16, label(xmax, o.xlog)),
    ('<text x="%d" y="%d" text-anchor="end">%s</text><text x="%d" y="%d" text-anchor="end">%s</text>')
      :format(L - 4, H - B, label(ymin, o.ylog), L - 4, T + 4, label(ymax, o.ylog)),
  }
  for k, sr in ipairs(o.series) do
    local color = COLORS[(k - 1) % #COLORS + 1]
    local path = {}
    for _, p in ipairs(sr.points) do
      if ok(p) then path[#path + 1] = (#path == 0 and "M" or "L") .. num(px(p[1])) .. "," .. num(py(p[2])) end
    end
    if #path > 0 then
      out[#out + 1] = ('<path d="%s" fill="none" stroke="%s" stroke-width="1.5"/>'):format(table.concat(path, " "), color)
    end
    if #o.series > 1 and k <= 20 then
      local y = T + (k - 1) * 14
      out[#out + 1] = ('<rect x="%d" y="%d" width="10" height="3" fill="%s"/><text x="%d" y="%d">%s</text>')
        :format(W - R + 10, y + 4, color, W - R + 24, y + 9, esc(sr.name or ""))
    end
  end
  if #o.series > 20 then
    out[#out + 1] = ('<text x="%d" y="%d">(+%d more)</text>'):format(W - R + 10, T + 20 * 14 + 9, #o.series - 20)
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n")
end

-- S.stack{svg1, svg2, ...}: charts one above the other in one document
function S.stack(parts)
  local y, width, body = 0, 0, {}
  for _, part in ipairs(parts) do
    local w, h = part:match('width="(%d+)" height="(%d+)"')
    w, h = tonumber(w), tonumber(h)
    body[#body + 1] = (part:gsub("^<svg ", ('<svg x="0" y="%d" '):format(y), 1))
    y, width = y + h, math.max(width, w)
  end
  return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">\n%s\n</svg>\n')
    :format(width, y, width, y, table.concat(body, "\n"))
end

return S
