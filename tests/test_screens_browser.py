"""Every screen a user has, measured in a real Chromium: 总览, 目标进展, 服务缺口, 流动儿童分布 and 志愿服务 at
1920×1080, 1366×768 (an office laptop) and 390×844 (a phone). No card's text overflows its card or runs
into the next card, nothing is wider than the window, phone cards sit two per row instead of being squeezed
into columns of vertical text, and 总览 is one screen (no vertical scroll) at 1366×768 and 1920×1080, in
normal and meeting mode. One server, one browser, one signed-in page; the sizes in a loop.
Screenshots: tests/artifacts/screen_<page>_<width>.png."""
from __future__ import annotations

from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, needs_chromium, sign_in

pytestmark = needs_chromium

SIZES = [(1920, 1080), (1366, 768), (390, 844)]
PAGES = [("/", "overview"), ("/targets", "targets"), ("/gaps", "gaps"), ("/map", "map"),
         ("/volunteers", "volunteers")]
PHONE_TWO_PER_ROW = {"overview", "targets", "gaps"}

# Each card (the overview's .ov-kpi, st.metric elsewhere) with its text parts' boxes and widths.
_MEASURE = """() => {
  const box = el => { const r = el.getBoundingClientRect();
                      return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, w: r.width, h: r.height}; };
  const parts = '.l, .v, .c, .t, .d, .s, [data-testid="stMetricLabel"], [data-testid="stMetricValue"], '
              + '[data-testid="stMetricDelta"], [data-testid="stMetricValue"] > div';
  const cards = Array.from(document.querySelectorAll('.ov-kpi, [data-testid="stMetric"]'))
    .filter(c => c.getBoundingClientRect().width > 0)
    .map(c => ({box: box(c), text: c.innerText.slice(0, 40),
                parts: Array.from(c.querySelectorAll(parts)).filter(p => p.getBoundingClientRect().width > 0)
                  .map(p => ({box: box(p), sw: p.scrollWidth, cw: p.clientWidth, text: p.innerText.slice(0, 30)}))}));
  const main = document.querySelector('[data-testid="stMain"]') || document.scrollingElement;
  return {cards, innerWidth: window.innerWidth, innerHeight: window.innerHeight,
          docWidth: document.scrollingElement.scrollWidth, docHeight: document.scrollingElement.scrollHeight,
          mainScroll: main.scrollHeight, mainClient: main.clientHeight,
          mainScrollW: main.scrollWidth, mainClientW: main.clientWidth,
          panels: ['.st-key-ov_map .main-svg', '#ov-gaps', '#ov-targets']
            .map(s => Array.from(document.querySelectorAll(s)).map(box)).flat(),
          exceptions: document.querySelectorAll('[data-testid="stException"]').length};
}"""


# What each page shows last (a page is measured once it is drawn, not while it is still running).
_READY = {"overview": "#ov-targets", "meeting": "#ov-targets", "targets": ".js-plotly-plot",
          "gaps": '[data-testid="stMetric"]', "map": '[data-testid="stDataFrame"]',
          "volunteers": ".js-plotly-plot"}


def _settle(page, name: str) -> None:
    if name == "gaps":  # the headline cards belong to one gap, not to the composite index the page opens on
        page.locator('[data-testid="stSelectbox"]').filter(has_text="缺口指标").click(timeout=90_000)
        page.get_by_role("option").nth(1).click()
    page.locator(_READY[name]).first.wait_for(state="attached", timeout=90_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000)
    page.wait_for_timeout(1500)  # fonts and plotly's layout settle


def _problems(name: str, w: int, geo: dict) -> list[str]:
    out = []
    where = f"{name} {w}"
    if geo["exceptions"]:
        out.append(f"{where}: exception on the page")
    if geo["docWidth"] > geo["innerWidth"] + 1 or geo["mainScrollW"] > geo["mainClientW"] + 1:
        out.append(f"{where}: wider than the window ({geo['docWidth']}/{geo['mainScrollW']} > {geo['innerWidth']})")
    cards = geo["cards"]
    for c in cards:
        b = c["box"]
        if b["right"] > geo["innerWidth"] + 1 or b["left"] < -1:
            out.append(f"{where}: card {c['text']!r} outside the window {b}")
        if w <= 640 and b["w"] < 140:
            out.append(f"{where}: card {c['text']!r} squeezed to {b['w']:.0f}px")
        for p in c["parts"]:
            pb = p["box"]
            if p["sw"] > p["cw"] + 1:
                out.append(f"{where}: {p['text']!r} overflows its element ({p['sw']} > {p['cw']})")
            if pb["left"] < b["left"] - 1 or pb["right"] > b["right"] + 1 or pb["bottom"] > b["bottom"] + 1:
                out.append(f"{where}: {p['text']!r} runs out of its card {pb} vs {b}")
    for i, a in enumerate(cards):  # no card drawn over another
        for c in cards[i + 1:]:
            x, y = a["box"], c["box"]
            if x["left"] < y["right"] - 1 and y["left"] < x["right"] - 1 and x["top"] < y["bottom"] - 1 \
                    and y["top"] < x["bottom"] - 1:
                out.append(f"{where}: cards {a['text']!r} and {c['text']!r} overlap")
    if w <= 640 and name in PHONE_TWO_PER_ROW and len(cards) >= 2:
        rows: dict[int, int] = {}
        for c in cards:
            rows[round(c["box"]["top"])] = rows.get(round(c["box"]["top"]), 0) + 1
        if max(rows.values()) > 2 or (len(cards) >= 3 and max(rows.values()) < 2):
            out.append(f"{where}: phone cards are not two per row: {sorted(rows.items())}")
    return out


def _one_screen(name: str, w: int, geo: dict) -> list[str]:
    where = f"{name} {w}"
    out = []
    if geo["mainScroll"] > geo["mainClient"] + 1 or geo["docHeight"] > geo["innerHeight"] + 1:
        out.append(f"{where}: scrolls ({geo['mainScroll']} > {geo['mainClient']})")
    if len(geo["panels"]) < 3 or not geo["cards"]:
        out.append(f"{where}: the map, the gap list or the target list is missing")
    for b in [c["box"] for c in geo["cards"]] + geo["panels"]:
        if b["bottom"] > geo["innerHeight"] + 1:
            out.append(f"{where}: below the fold {b}")
    return out


def test_every_screen_fits(app_server):
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    measured: dict[tuple[str, int], dict] = {}
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            page.on("request", lambda r: None if r.url.startswith((app_server, "data:", "blob:"))
                    else outside.append(r.url))
            page.goto(app_server + "/", wait_until="domcontentloaded")
            sign_in(page, "admin")
            runs = [(path, name, w, h) for w, h in SIZES for path, name in PAGES]
            runs += [("/?meeting=1", "meeting", w, h) for w, h in SIZES[:2]]
            for path, name, w, h in runs:
                page.set_viewport_size({"width": w, "height": h})
                page.goto(app_server + path, wait_until="domcontentloaded")
                _settle(page, name)
                page.screenshot(path=str(ARTIFACTS / f"screen_{name}_{w}.png"))
                measured[(name, w)] = geo = page.evaluate(_MEASURE)
                problems += _problems(name, w, geo)
                if name in ("overview", "meeting") and w > 640:
                    problems += _one_screen(name, w, geo)
        finally:
            browser.close()
    assert not outside, outside
    assert len(measured[("overview", 1366)]["cards"]) == 7 and len(measured[("overview", 390)]["cards"]) == 7
    assert measured[("gaps", 390)]["cards"], "服务缺口 shows its headline cards"
    assert not problems, "\n".join(problems)



def test_short_screens_count_the_rows_they_leave_out():
    """A laptop screen shows fewer off-track targets (CSS drops the rows past the short limit): the "另有 N 项"
    line is written for both lengths, and the screen shows the one that matches what it shows."""
    import pandas as pd

    from ui import overview as ov

    off = pd.DataFrame({"status": ["滞后"] * 10, "indicator_name": [f"指标{i}" for i in range(10)],
                        "department": "市民政局", "latest_value": 80.0, "target_value": 100.0, "unit": "%",
                        "deadline": "2026-12-31", "report_overdue": False, "latest_value_suppressed": False})
    body = ov.targets_html(off, 8, short=4)
    assert body.count('<li class="ov-target">') == 8
    assert '<p class="ov-more ov-tall-only">另有 2 项' in body and '<p class="ov-more ov-short-only">另有 6 项' in body
    assert "另有" not in ov.targets_html(off.head(3), 8, short=4)
