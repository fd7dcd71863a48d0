"""Loads folio's HTML run reports in headless Chromium (chromedriver, via
Debian's python3-selenium) and checks what a reader would see: no console
errors, no request leaving the page, the status badge, the charts drawn
with a real size, the table row counts, and saves a full-page PNG each.

    /usr/bin/python3 html_browser_check.py SPEC.json PROFILE_DIR

SPEC.json is a list of pages:
    {"name", "html", "png", "status", "min_svgs", "kinds": [...],
     "tables": {data-name: total rows}, "texts": [...]}
or, for a control page that does fetch, {"name", "html", "must_fetch": URL}.
The last line printed is "PYCHECKS passed failed" (tests/e2e/lib.sh).
"""
import base64
import json
import os
import sys
import time

MAX_ROWS = 200  # folio.html shows at most this many rows of a table
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)
    return ok


def finish(code=0):
    print("PYCHECKS %d %d" % (passed, failed))
    sys.exit(code)


try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError as e:
    check(False, "python3-selenium is missing (%s): apt-get install python3-selenium, "
                 "or run scripts/install-deps.sh" % e)
    finish(1)


def start_browser(profile):
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    # root in a container: no sandbox; no GPU; /dev/shm may be tiny
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-extensions", "--disable-background-networking",
                 "--window-size=1280,1000", "--user-data-dir=" + profile):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def requests_made(driver, page):
    """URLs requested by the page, or to the network by anyone, from the
    DevTools events (the browser's own chrome:// pages are not ours)."""
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            if msg["params"].get("documentURL") == page or not url.startswith("chrome"):
                urls.append(url)
    return urls


def screenshot(driver, path):
    """The whole page, not just the window."""
    m = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = m.get("cssContentSize") or m["contentSize"]
    w, h = int(size["width"]), min(int(size["height"]), 16000)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}})
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))


def check_page(driver, spec):
    name = spec["name"]
    url = "file://" + os.path.abspath(spec["html"])
    driver.get_log("performance")  # drop what came before this page
    driver.get_log("browser")
    driver.get(url)
    check(driver.execute_script("return document.readyState") == "complete", name + ": page loaded")

    severe = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    outside = [u for u in requests_made(driver, url) if u != url and not u.startswith("data:")]
    if spec.get("must_fetch"):
        # the checker's own control: a page known to fetch must be caught
        check(spec["must_fetch"] in outside and severe,
              "%s: a page that fetches %s is caught (requests %s, console %s)"
              % (name, spec["must_fetch"], outside, severe))
        return
    check(not severe, "%s: console errors: %s" % (name, severe))
    check(not outside, "%s: requests left the page: %s" % (name, outside))
    resources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    check(not resources, "%s: resources loaded: %s" % (name, resources))
    refs = driver.execute_script(
        "return [...document.querySelectorAll('[src],[href]')]"
        ".map(e => e.getAttribute('src') || e.getAttribute('href'))")
    bad = [r for r in refs if not (r.startswith("#") or r.startswith("data:"))]
    check(not bad, "%s: references outside the page: %s" % (name, bad))
    check(not driver.find_elements(By.CSS_SELECTOR, "script, iframe, object, embed"),
          name + ": no script, iframe, object or embed elements")

    check(bool(driver.title), name + ": the page has a title")
    badge = driver.find_elements(By.CSS_SELECTOR, "#overall .status")
    got = badge[0].text if badge else "<no #overall .status>"
    check(got == spec["status"], "%s: run status: expected '%s', got '%s'" % (name, spec["status"], got))
    if badge:
        want = "st-ok" if spec["status"] in ("optimal", "converged") else None
        check(want is None or want in badge[0].get_attribute("class"), name + ": an optimal status is green")
        check(badge[0].size["width"] > 0 and badge[0].is_displayed(), name + ": the status badge is visible")
    check(not driver.find_elements(By.CSS_SELECTOR, ".render-error"), name + ": every value rendered")

    kinds = {s.get_attribute("data-kind") for s in driver.find_elements(By.CSS_SELECTOR, "section.value")}
    for k in spec.get("kinds", []):
        check(k in kinds, "%s: a section of kind '%s' (have %s)" % (name, k, sorted(kinds)))

    # the charts: drawn at a real size, with marks in them (one round trip)
    boxes = driver.execute_script(
        "return [...document.querySelectorAll('.chart > svg')].map(s => {"
        " const r = s.getBoundingClientRect();"
        " return [r.width, r.height, s.querySelectorAll('rect, path, circle').length]; })")
    check(len(boxes) >= spec["min_svgs"], "%s: at least %d charts, found %d" % (name, spec["min_svgs"], len(boxes)))
    for i, (w, h, marks) in enumerate(boxes):
        check(w > 0 and h > 0, "%s: chart %d has a size (%sx%s)" % (name, i + 1, w, h))
        check(marks > 0, "%s: chart %d draws something" % (name, i + 1))

    # the tables: the count folio.html states, the rows shown, the note
    for tname, total in spec.get("tables", {}).items():
        got = driver.execute_script(
            "const t = document.querySelector(`table[data-name=\"${arguments[0]}\"]`);"
            "if (!t) return null;"
            "const note = t.parentElement.nextElementSibling;"
            "return [t.dataset.rows, t.querySelectorAll('tbody > tr').length,"
            " note && note.className === 'more' ? note.dataset.more : null];", tname)
        if not check(got is not None, "%s: a table '%s'" % (name, tname)):
            continue
        check(got[0] == str(total), "%s: table '%s' counts %s rows, expected %d" % (name, tname, got[0], total))
        check(got[1] == min(total, MAX_ROWS), "%s: table '%s' shows %d rows, expected %d"
              % (name, tname, got[1], min(total, MAX_ROWS)))
        more = str(total - MAX_ROWS) if total > MAX_ROWS else None
        check(got[2] == more, "%s: table '%s': the 'more rows' note says %s, expected %s" % (name, tname, got[2], more))

    body = driver.execute_script("return document.body.textContent")  # chart titles included
    for text in spec.get("texts", []):
        check(text in body, "%s: the page shows '%s'" % (name, text))

    screenshot(driver, spec["png"])
    with open(spec["png"], "rb") as f:
        head = f.read(8)
    check(head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(spec["png"]) > 10000,
          "%s: screenshot saved to %s" % (name, spec["png"]))


def main():
    with open(sys.argv[1]) as f:
        pages = json.load(f)
    t0 = time.time()
    try:
        driver = start_browser(sys.argv[2])
    except Exception as e:  # a missing or broken browser is a failure, not a skip
        check(False, "cannot start headless Chromium via /usr/bin/chromedriver: %s"
              % (str(e).strip().splitlines() or [repr(e)])[0])
        finish(1)
    try:
        for spec in pages:
            check_page(driver, spec)
    finally:
        driver.quit()
    print("%d pages checked in the browser in %.1f s" % (len(pages), time.time() - t0))
    finish(0)


if __name__ == "__main__":
    main()
