"""Bench section `browser`: the pages as a user waits for them, in Chromium (Playwright, as the tests drive it).

For a county user and a city user (the demo users `county` and `leader`), each against a server process of
its own (`streamlit run server.py`, as `make run` serves it):

1. **restart**: sign in and open every page of the role once (a new process: caches empty, modules not
   yet imported, the snapshot connection not yet open);
2. **publish**: the app's caches cleared (Streamlit's own 清除缓存, what a new snapshot amounts to: the
   cached connection and every cached result keyed by the old snapshot are gone), every page again;
3. **repeat**: every page again, `BENCH_BROWSER_REPEAT` times (served from the snapshot-keyed cache);
4. **address**: every page opened by its address (a shared link, a reload: a new document and session);
5. filter changes (服务缺口's indicator, 总览's period; first and cached) and the meeting pack.

A page is timed from the click on its sidebar link to the last change of the page's DOM, once the script
run is over (`stApp[data-test-script-state=notRunning]`, a `script_finished` message on the websocket since
the click), no element is stale (`data-stale="true"`, the greyed previous run), no spinner or skeleton is
left and nothing has changed for `QUIET_MS`. A MutationObserver stamps every change except toasts, tooltips
and the header's running indicator; the time reported is the last stamp, so the quiet window itself is not
counted. Plotly and deck.gl draw into elements they add, so their drawing is in it (a WebGL canvas's pixels
are not). The wait is split into the server's part (to the end of the last script run the action caused, as
bench.server_runs records it) and the browser's (its main thread's long tasks since the action).

Bytes are the websocket frames received between the click and the end (Streamlit's ForwardMsg protobufs),
split by the element each frame carries (plotly_chart, deck_gl_json_chart, dataframe …). Server CPU is the
server process's user + system time over the same interval (/proc/PID/stat, all threads; the pack's
kaleido Chromium is a child process and not in it). BENCH_BROWSER_PROFILE=1 profiles every script run and
adds the split of its time into queries, pandas, figures, Excel, cache, serialisation and gc (slower: a
profiled run's times are not the ones to quote). BENCH_BROWSER_REPEAT (2), BENCH_BROWSER_QUIET_MS (1500) and
BENCH_BROWSER_PACK (1) set the repeat views, the quiet window and whether the pack is made.

`python -m bench.browser ROOT` runs the section alone against a data folder with a published demo
snapshot and prints the markdown; `make bench` runs it as section `browser`.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from bench.serving import CHROMIUM, CHROMIUM_ARGS, streamlit_server

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "tongxin-demo"
USERS = (("county", "区县用户"), ("leader", "市级用户"))
QUIET_MS = 1500
TIMEOUT_S = 240.0

# Stamps the last DOM change (epoch ms) and counts script runs. Toasts and tooltips come and go on their own,
# and the header's running indicator fades out after the run: neither is the page being drawn.
_PROBE = """(() => {
  if (window.__tx) return;
  const tx = window.__tx = {last: Date.now(), runs: 0, state: null};
  const skip = '[data-testid="stToastContainer"], [data-testid="stToast"], [data-testid="stTooltipContent"], '
             + '[data-testid="stHeader"], [data-testid="stStatusWidget"], [data-testid="stToolbar"]';
  new MutationObserver(muts => {
    const app = document.querySelector('[data-testid="stApp"]');
    const s = app ? app.getAttribute('data-test-script-state') : null;
    if (s !== tx.state) {
      tx.state = s;
      if (s === 'running') tx.runs++;
      if (s === 'notRunning') tx.done = Date.now();
    }
    for (const m of muts) {
      const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      if (!(el && el.closest && el.closest(skip))) {
        tx.last = Date.now();
        const owner = el && el.closest && el.closest('[data-testid]');
        const bw = el && el.closest && el.closest('[data-baseweb]');  // widgets' popovers live outside the app
        tx.what = (owner ? owner.getAttribute('data-testid') : bw ? 'baseweb ' + bw.getAttribute('data-baseweb')
                   : el ? el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') : '?') + ' ' + m.type
                  + (m.attributeName ? ' ' + m.attributeName : '');
        break;
      }
    }
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  tx.longs = [];  // the main thread's long tasks (≥ 50 ms: scripts, layout, drawing), as [start, duration]
  try {
    new PerformanceObserver(list => {
      for (const e of list.getEntries()) tx.longs.push([performance.timeOrigin + e.startTime, e.duration]);
      if (tx.longs.length > 2000) tx.longs.splice(0, 1000);
    }).observe({type: 'longtask', buffered: true});
  } catch (e) {}
})()"""

_STATUS = """() => {
  const tx = window.__tx || {};
  const app = document.querySelector('[data-testid="stApp"]');
  return {last: tx.last || 0, runs: tx.runs || 0, now: Date.now(), done: tx.done || 0, what: tx.what || '',
          longs: tx.longs || [],
          state: app ? app.getAttribute('data-test-script-state') : null,
          stale: document.querySelectorAll('[data-stale="true"]').length,
          busy: document.querySelectorAll('[data-testid="stSpinner"], [data-testid="stSkeleton"]').length,
          exceptions: document.querySelectorAll('[data-testid="stException"]').length};
}"""

# Clicks the sidebar link of a page (its path) and returns the click's time (epoch ms), null if not there.
_NAV = """(path) => {
  const links = Array.from(document.querySelectorAll('a[data-testid="stSidebarNavLink"]'));
  const a = links.find(a => new URL(a.href).pathname.replace(/\\/$/, '').endsWith('/' + path));
  if (!a) return null;
  const t0 = Date.now();
  a.click();
  return t0;
}"""


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads (/proc/PID/stat fields 14 and 15)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


@contextmanager
def serve(root: Path, log: Path, runs: Path, profile_dir: Path | None = None):
    """`streamlit run server.py` on a free port against `root`, its toolbar in developer mode so that the
    bench can clear the app's caches as a publish does, each script run's times written to `runs` and, with
    `profile_dir`, its profile (bench.server_runs); yields (base URL, server pid)."""
    runs.unlink(missing_ok=True)
    with streamlit_server({**os.environ, "TONGXIN_DATA_DIR": str(root)}, log,
                          launcher=("-m", "bench.server_runs", str(runs), str(profile_dir or "-")),
                          extra=("--client.toolbarMode", "developer"), timeout_s=120) as (url, proc):
        yield url, proc.pid


def _kind(payload: bytes) -> str:
    """What a websocket frame carries: the element type of a new element, else the message type."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    try:
        msg = ForwardMsg.FromString(payload)
    except Exception:  # noqa: BLE001 - a frame that is not a ForwardMsg is counted, not parsed
        return "other"
    kind = msg.WhichOneof("type") or "other"
    if kind == "delta":
        d = msg.delta.WhichOneof("type")
        return msg.delta.new_element.WhichOneof("type") or "element" if d == "new_element" else d or "delta"
    return kind


class Probe:
    """One Chromium page on the app: times actions to the last render, counts websocket bytes and server CPU."""

    def __init__(self, page, pid: int, runs: Path, quiet_ms: int = QUIET_MS, profile_dir: Path | None = None):
        self.page, self.pid, self.runs, self.quiet_ms, self.profile_dir = page, pid, runs, quiet_ms, profile_dir
        self.frames: list[tuple[int, str]] = []
        self.finished = 0
        page.on("websocket", self._socket)

    def _socket(self, ws) -> None:
        def got(payload) -> None:
            data = payload.encode() if isinstance(payload, str) else payload
            kind = _kind(data)
            self.frames.append((len(data), kind))
            if kind == "script_finished":
                self.finished += 1

        ws.on("framereceived", got)

    def _status(self) -> dict | None:
        try:
            return self.page.evaluate(_STATUS)
        except Exception:  # noqa: BLE001 - the page is between documents (sign-in's redirect)
            return None

    def measure(self, act, *, timeout_s: float = TIMEOUT_S, wait_for: str | None = None) -> dict:
        """Run `act()` (returns the action's start in epoch ms, or None to take it here) and wait for the page
        to settle; milliseconds to its last change, websocket bytes by kind, server CPU seconds."""
        self.frames.clear()
        finished0, cpu0 = self.finished, _cpu_s(self.pid)
        profiled = set(self.profile_dir.glob("*.prof")) if self.profile_dir else set()
        st0 = self._status() or {"runs": 0}
        t_here = time.time() * 1000
        t0 = act()
        t0 = t_here if t0 is None else t0
        deadline = time.monotonic() + timeout_s
        while True:
            self.page.wait_for_timeout(100)  # also lets Playwright deliver the websocket events
            s = self._status()
            if s and self.finished > finished0 and s["state"] == "notRunning" and not s["stale"] \
                    and not s["busy"] and s["now"] - s["last"] >= self.quiet_ms \
                    and (wait_for is None or self.page.locator(wait_for).count()):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"page did not settle in {timeout_s:.0f} s: {s} (runs before {st0['runs']})")
        by: dict[str, int] = {}
        for n, k in self.frames:
            by[k] = by.get(k, 0) + n
        # The server's part: the end of the last script run that started after the action (bench.server_runs).
        runs = [json.loads(line) for line in self.runs.read_text(encoding="utf-8").splitlines() if line.strip()] \
            if self.runs.exists() else []
        runs = [r for r in runs if r["start"] >= t0 - 50]
        # A run's collection (Streamlit's gc.collect) follows its script_finished: the page is not waiting for it.
        extra = {"server_ms": max(r["end"] - r["gc_s"] * 1000 for r in runs) - t0 if runs else float("nan"),
                 "script_runs": len(runs), "script_run_ms": sum(r["end"] - r["start"] for r in runs),
                 "script_thread_cpu_s": sum(r["thread_cpu_s"] for r in runs), "gc_s": sum(r["gc_s"] for r in runs)}
        if self.profile_dir:
            from bench.server_runs import split

            new = sorted(set(self.profile_dir.glob("*.prof")) - profiled)
            extra["cpu_split"], extra["profiles"] = split(new), [p.name for p in new]
        # The browser's part: its main thread busy in long tasks (script, layout, WebGL drawing) since the action.
        extra["browser_busy_ms"] = sum(d for start, d in s["longs"] if start >= t0)
        return {**extra, "ms": max(0.0, s["last"] - t0), "run_over_ms": max(0.0, s["done"] - t0), "last_change": s["what"],
                "ws_bytes": sum(by.values()), "by_kind": by,
                "cpu_s": _cpu_s(self.pid) - cpu0, "exceptions": s["exceptions"]}

    def nav(self, path: str, base: str) -> dict:
        """Open a page from the sidebar (as a user does): the click to the page's last change."""
        def act():
            t0 = self.page.evaluate(_NAV, path)
            if t0 is None:  # a section folded away: open it, else go by the address
                more = self.page.locator('[data-testid="stSidebarNavViewButton"]')
                if more.count():
                    more.first.click()
                    t0 = self.page.evaluate(_NAV, path)
            if t0 is None:
                t0 = time.time() * 1000
                self.page.goto(f"{base}/{path}", wait_until="commit")
            return t0
        return self.measure(act)

    def open(self, path: str, base: str) -> dict:
        """Open a page by its address (a shared link, a reload): a new document and websocket session."""
        def act():
            t0 = time.time() * 1000
            self.page.goto(f"{base}/{path}", wait_until="commit")
            return t0
        return self.measure(act)

    def pick(self, label: str, index: int) -> dict:
        """Choose option `index` of the select box labelled `label`: the choice to the page's last change."""
        self.page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click(timeout=60_000)
        option = self.page.get_by_role("option").nth(index)
        option.wait_for(timeout=60_000)

        def act():
            t0 = time.time() * 1000
            option.click()
            return t0
        return self.measure(act)


def _clear_caches(page) -> bool:
    """Streamlit's 清除缓存 (key c, developer toolbar): st.cache_data and st.cache_resource emptied, the
    snapshot connection closed, as after a publish. False if the dialog did not come."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("c")
    button = page.get_by_role("dialog").get_by_role("button", name="Clear caches")
    try:
        button.wait_for(timeout=10_000)
    except Exception:  # noqa: BLE001
        return False
    button.click()
    page.get_by_role("dialog").wait_for(state="hidden", timeout=60_000)
    return True


def _sign_in(probe: Probe, base: str, user: str) -> dict:
    page = probe.page
    page.goto(base + "/", wait_until="domcontentloaded")
    page.get_by_role("button", name="登录 Sign in").wait_for(timeout=120_000)
    page.get_by_label("用户名 User name").fill(user)
    page.get_by_label("密码 Password").fill(PASSWORD)

    def act():
        t0 = time.time() * 1000
        page.get_by_role("button", name="登录 Sign in").click()
        return t0
    m = probe.measure(act, wait_for='button:has-text("退出登录 Sign out")')
    m["landed_on"] = page.url.rsplit("/", 1)[-1].split("?")[0] or "/"
    return m


def _user_run(root: Path, user: str, repeat: int, pack: bool, log: Path, quiet_ms: int,
              profile_dir: Path | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    from auth import users as u
    from auth.roles import PAGES, ROLES

    account = u.load(root)[user]
    pages = [p for p in ROLES[account.role].pages]
    out: dict = {"user": user, "role": account.role, "scope": list(account.scope), "pages": {}, "notes": []}
    runs = log.with_suffix(".runs.jsonl")
    with serve(root, log, runs, profile_dir) as (base, pid), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
            ctx.add_init_script(_PROBE)
            page = ctx.new_page()
            probe = Probe(page, pid, runs, quiet_ms, profile_dir)
            out["sign_in"] = _sign_in(probe, base, user)
            home = out["sign_in"]["landed_on"]
            # The home page's first view is the sign-in's; the others are opened in the role's order.
            rows = {p: {"title": PAGES[p][1]} for p in pages}
            if home in rows:
                rows[home]["restart"] = out["sign_in"]
            for p in pages:
                if p != home:
                    rows[p]["restart"] = probe.nav(p, base)
            if _clear_caches(page):
                for p in pages:
                    rows[p]["publish"] = probe.nav(p, base)
            else:
                out["notes"].append("caches not cleared (no dialog): no after-publish column")
            for _ in range(repeat):
                for p in pages:
                    rows[p].setdefault("repeat", []).append(probe.nav(p, base))
            for p in pages:
                rows[p]["address"] = probe.open(p, base)
            out["pages"] = rows
            filters: dict = {}
            if "gaps" in pages:
                probe.nav("gaps", base)
                filters["gaps indicator (first)"] = [probe.pick("缺口指标", 1), probe.pick("缺口指标", 2)]
                filters["gaps indicator (cached)"] = [probe.pick("缺口指标", 1)]
            if "overview" in pages:
                probe.nav("overview", base)
                filters["overview period (first)"] = [probe.pick("统计期", 1)]
                filters["overview period (cached)"] = [probe.pick("统计期", 0)]
                if pack:
                    button = page.get_by_role("button", name="生成会议材料")

                    def act():
                        t0 = time.time() * 1000
                        button.click()
                        return t0
                    out["pack"] = probe.measure(act, timeout_s=600, wait_for='button:has-text("下载PDF")')
            out["filters"] = filters
        finally:
            browser.close()
    return out


def bench_browser(root: Path, *, repeat: int | None = None, pack: bool = True, quiet_ms: int | None = None,
                  users: tuple[str, ...] | None = None, log_dir: Path | None = None,
                  profile: bool | None = None) -> dict:
    """The browser section for a data folder with a published demo snapshot (creates the demo users if
    missing). One server process per user, so each user's first views are after a restart."""
    from auth import users as u
    from auth.__main__ import demo_users

    root = Path(root)
    names = users or tuple(n for n, _ in USERS)
    if not all(n in u.load(root) for n in names):
        demo_users(root)
    repeat = int(os.environ.get("BENCH_BROWSER_REPEAT", "2")) if repeat is None else repeat
    quiet_ms = int(os.environ.get("BENCH_BROWSER_QUIET_MS", str(QUIET_MS))) if quiet_ms is None else quiet_ms
    profile = os.environ.get("BENCH_BROWSER_PROFILE", "0") != "0" if profile is None else profile
    res: dict = {"quiet_ms": quiet_ms, "repeat": repeat, "profiled": profile,
                 "load_avg_at_start": os.getloadavg()[0], "users": {}}
    t = time.perf_counter()
    logs = log_dir or REPO / "bench" / "results"
    for name in names:
        prof = None
        if profile:
            import shutil

            prof = logs / f"browser_{name}_profiles"
            shutil.rmtree(prof, ignore_errors=True)
        res["users"][name] = _user_run(root, name, repeat, pack, logs / f"browser_{name}.log", quiet_ms, prof)
    res["seconds"] = time.perf_counter() - t
    res["load_avg_at_end"] = os.getloadavg()[0]
    return res


# ---- report --------------------------------------------------------------------------------------
def _s(m: dict | None, parts: bool = False) -> str:
    """Seconds to the last change; with `parts`, in brackets the server's part (to the end of the last script
    run the action caused) and the browser's main thread busy in long tasks."""
    if not m:
        return ""
    return f"{m['ms'] / 1000:.2f}" + (f" ({m['server_ms'] / 1000:.2f} / {m.get('browser_busy_ms', 0) / 1000:.2f})"
                                      if parts else "")


def _kb(m: dict | None) -> str:
    return "" if not m else f"{m['ws_bytes'] / 1024:,.0f}"


def _cpu(m: dict | None) -> str:
    return "" if not m else f"{m['cpu_s']:.2f}"


def _top(m: dict | None) -> str:
    """The largest part of a view's websocket bytes."""
    if not m or not m["by_kind"]:
        return ""
    k, n = max(m["by_kind"].items(), key=lambda kv: kv[1])
    return f"{k} {n / 1024:,.0f} KB"


def _median(ms: list[dict]) -> dict | None:
    """The median view of several (its time, run end and CPU the medians; bytes those of the middle view)."""
    if not ms:
        return None
    mid = sorted(ms, key=lambda m: m["ms"])[len(ms) // 2]
    return {**mid, **{k: statistics.median(m.get(k, 0) for m in ms)
                      for k in ("ms", "server_ms", "browser_busy_ms", "cpu_s")}}


def _split_table(res: dict) -> list[str]:
    """Script-run CPU by category (cProfile own time, seconds) for each first view after a publish, each
    filter change and the pack: where a page's server time goes."""
    from bench.server_runs import CATEGORIES

    cats = [c for c, _ in CATEGORIES] + ["other"]
    out = [("Where the script runs' time goes (cProfile of every script run in its own thread, wall-clock own "
            "time per category, seconds; profiling slows Python code, so these runs' times are not the ones "
            "quoted above). gc = Streamlit's collection after each run; waiting = locks and sleeps (the pack's kaleido); queries = DuckDB (its worker threads included) and the "
            "door; figures = plotly, pydeck, shapely and the map and chart builders; cache = st.cache_data's "
            "pickling; serialisation = Streamlit's element marshalling, protobuf, Arrow, JSON."),
           "", "| user | view | total | " + " | ".join(cats) + " |", "|---|---|" + "---:|" * (len(cats) + 1)]
    for name, r in res["users"].items():
        views = [(f"{row['title']} (publish)", row.get("publish")) for row in r["pages"].values()]
        views += [(what, m) for what, ms in r.get("filters", {}).items() for m in ms]
        views += [("meeting pack", r.get("pack"))]
        for what, m in views:
            if not m or "cpu_split" not in m:
                continue
            sp = m["cpu_split"]
            out.append(f"| {name} | {what} | {sum(sp.values()):.2f} | "
                       + " | ".join(f"{sp.get(c, 0.0):.2f}" for c in cats) + " |")
    return out + [""]


def markdown(res: dict, scale: str = "") -> list[str]:
    """The section's tables and its goals table, as markdown lines."""
    city = scale != "province"
    first_goal = 1.0 if city else 2.0
    out = [f"## Pages in the browser (Chromium; {'city' if city else 'province'} scale)", "",
           (f"Seconds from the click on the page's sidebar link to the page's last change (run over, nothing "
            f"stale, then {res['quiet_ms']} ms without change); in brackets the server's part (to the end of the "
            f"last script run the click caused) / the browser's main thread busy in long tasks (≥ 50 ms: its "
            f"scripts, layout, drawing; headless Chromium draws WebGL in software); KB received on the websocket "
            f"(first view after the publish); the server process's CPU seconds (all threads, DuckDB's "
            f"included). *Restart* = first "
            f"view in a new server process (the home page's is the sign-in's); *publish* = first view after the "
            f"app's caches were cleared, as a new snapshot does; *repeat* = median of {res['repeat']} later views; "
            f"*address* = the page opened by its address (a link, a reload: a new websocket session). Load "
            f"average {res['load_avg_at_start']:.1f} at start, {res['load_avg_at_end']:.1f} at end; "
            f"{res['seconds'] / 60:.1f} min."), "",
           ("| user | page | restart s | publish s (server / browser) | repeat s (server / browser) | address s "
            "| KB | largest part | CPU s publish | CPU s repeat |"),
           "|---|---|---:|---:|---:|---:|---:|---|---:|---:|"]
    worst = {"publish": 0.0, "repeat": 0.0, "filter": 0.0, "kb": 0.0}
    extra: list[str] = []
    for name, r in res["users"].items():
        who = f"{name} ({r['role']}, {'/'.join(r['scope'])})"
        si = r["sign_in"]
        extra.append(f"| {who} | sign-in → {si['landed_on']} | {_s(si, True)} | {_kb(si)} | {_cpu(si)} |")
        for row in r["pages"].values():
            pub, rep = row.get("publish"), _median(row.get("repeat") or [])
            out.append(f"| {name} | {row['title']} | {_s(row.get('restart'))} | {_s(pub, True)} | {_s(rep, True)} | "
                       f"{_s(row.get('address'))} | {_kb(pub)} | {_top(pub)} | {_cpu(pub)} | {_cpu(rep)} |")
            if pub:
                worst["publish"] = max(worst["publish"], pub["ms"] / 1000)
                worst["kb"] = max(worst["kb"], pub["ws_bytes"] / 1024)
            for m in row.get("repeat") or []:
                worst["repeat"] = max(worst["repeat"], m["ms"] / 1000)
        for what, ms in r.get("filters", {}).items():
            extra.append(f"| {who} | {what} | {' / '.join(_s(m, True) for m in ms)} | "
                         f"{' / '.join(_kb(m) for m in ms)} | {' / '.join(_cpu(m) for m in ms)} |")
            worst["filter"] = max([worst["filter"], *(m["ms"] / 1000 for m in ms)])
        if "pack" in r:
            extra.append(f"| {who} | meeting pack (生成会议材料 → 下载PDF) | {_s(r['pack'], True)} | {_kb(r['pack'])} | "
                         f"{_cpu(r['pack'])} (without kaleido) |")
        out += [f"Note ({name}): {n}" for n in r["notes"]]
    out += ["", "| user | action | seconds (server / browser) | KB | CPU s |", "|---|---|---:|---:|---:|", *extra, ""]
    gcs = [m["gc_s"] for r in res["users"].values() for row in r["pages"].values()
           for m in [row.get("restart"), row.get("publish"), row.get("address"), *(row.get("repeat") or [])]
           if m and "gc_s" in m]
    if gcs:
        out += [(f"Streamlit's garbage collection after every script run (`runner.postScriptGC`, after the run's "
                 f"script_finished, so not in the times above but in the CPU): median {statistics.median(gcs):.2f} s "
                 f"a page view, at most {max(gcs):.2f} s."), ""]
    if res.get("profiled"):
        out += _split_table(res)
    packs = [r["pack"]["ms"] / 1000 for r in res["users"].values() if "pack" in r]
    goals = [(f"every page ≤ {first_goal:.0f} s on first view after a publish (slowest)", f"{worst['publish']:.2f} s",
              worst["publish"] <= first_goal),
             ("every page ≤ 0.5 s on a repeat view (slowest)", f"{worst['repeat']:.2f} s", worst["repeat"] <= 0.5),
             ("a filter change ≤ 0.5 s (slowest)", f"{worst['filter']:.2f} s", worst["filter"] <= 0.5),
             ("a page's payload ≤ 2 MB (largest, first view)", f"{worst['kb'] / 1024:.2f} MB", worst["kb"] <= 2048)]
    if packs:
        goals.append(("the meeting pack ≤ 10 s (slowest)", f"{max(packs):.1f} s", max(packs) <= 10))
    return out + ["| goal (browser) | measured | |", "|---|---|---|",
                  *(f"| {g} | {v} | {'✅ met' if ok else '❌ not met'} |" for g, v, ok in goals), ""]


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(os.environ.get("TONGXIN_DATA_DIR", REPO / "data"))
    scale = os.environ.get("BENCH_SCALE", "city")
    res = bench_browser(root, pack=os.environ.get("BENCH_BROWSER_PACK", "1") != "0")
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "browser.json").write_text(json.dumps(res, ensure_ascii=False, indent=2), encoding="utf-8")
    md = "\n".join(markdown(res, scale)) + "\n"
    (out / "browser.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
