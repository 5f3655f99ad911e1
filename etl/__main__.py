"""Command line: python -m etl {init,sources,land,withdraw,landings,boundaries,build,rebuild,jobs,worker,status,rollback,
demo,init-demo,signoff,followup,instruction,notify}."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from tqdm import tqdm

from settings import create_secret_key, data_dir

from .contracts import GRAIN_ZH, sources
from .errors import ExtractError
from .force import MODES, MODES_EN
from .land import land, landings, withdraw


def _bar(desc: str):
    """A progress callback (label, done, total) drawing one tqdm bar on stderr."""
    state: dict = {}

    def cb(label: str, done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, desc=desc, unit="步", file=sys.stderr, leave=False,
                                      disable=None)  # no bar when stderr is not a terminal
        bar.set_postfix_str(label[:40])
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return cb


def cmd_sources(args) -> int:
    if args.json:
        print(json.dumps({n: {"title": s.title, "title_en": s.title_en, "department": s.department, "kind": s.kind,
                              "period": s.period, "columns": [c.name for c in s.columns]}
                          for n, s in sources().items()}, ensure_ascii=False, indent=2))
        return 0
    print(f"{'数据源 source':<20} {'部门':<8} {'类型':<9} {'周期':<4} 名称")
    for n, s in sources().items():
        kind = "快照" if s.kind == "snapshot" else "事件"
        print(f"{n:<20} {s.department:<8} {kind + ' ' + s.kind:<9} {GRAIN_ZH[s.period]:<4} {s.title} — {s.title_en}")
    return 0


def cmd_land(args) -> int:
    out = land(args.source, Path(args.file), args.period, synthetic=args.synthetic, progress=_bar("导入 land"),
               mode=args.mode, allow_removal=args.allow_removal)
    print(out.message)
    if out.entry and out.entry.status == "landed":
        print(f"  导入方式 mode: {out.entry.mode}（{MODES[out.entry.mode]}）；编号 load id: {out.entry.load_id}"
              f"（撤回 withdraw: python -m etl withdraw {out.entry.source} {out.entry.period} {out.entry.load_id}"
              f" --reason …）")
    if out.entry and out.entry.rows_rejected:
        print(f"  被拒绝的行及原因 rejected rows and reasons: {data_dir() / 'landed' / out.entry.rejected_path}")
    return 0


def cmd_withdraw(args) -> int:
    """Take a landing out of force (the earlier landings come back at the next build)."""
    line = withdraw(args.load_id, args.source, args.period, args.reason)
    print(f"已撤回 withdrawn: {line['source']} {line['period']} {line['load_id']}；下次构建后生效，"
          f"此前的导入恢复生效 / takes effect at the next build (python -m etl build), the earlier landing comes back")
    return 0


def cmd_landings(args) -> int:
    """The load log, newest first: what is in force, replaced or withdrawn."""
    rows = landings(source=args.source)[: args.limit]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"{'导入时间 landed at':<20} {'数据源 source':<18} {'统计期':<8} {'编号 load id':<17} {'方式':<7} "
          f"{'接收行':>8}  状态 state")
    for e in rows:
        state = ("已撤回 withdrawn: " + e["withdrawn"]["reason"]) if e["withdrawn"] else \
            ("在用 in force" if e["in_force"] else "已被替换 replaced")
        print(f"{e['landed_at']:<20} {e['source']:<18} {e['period']:<8} {e['load_id']:<17} {e['mode']:<7} "
              f"{e['rows_accepted']:>8,}  {state}")
    return 0


def cmd_boundaries(args) -> int:
    """Land one boundary file (GeoJSON / Shapefile / GeoPackage) for a level, versioned by valid_from."""
    from .boundaries import land_boundaries

    out = land_boundaries(Path(args.file), args.level, args.code_field, args.name_field,
                          valid_from=args.valid_from, gcj02=args.gcj02)
    print(out.message)
    return 0


def cmd_build(args) -> int:
    from warehouse.build import build, published

    t0 = time.perf_counter()
    path = build(progress=None if args.quiet else _bar("构建 build"))
    if published() != path:  # another build that started later published first
        print(f"已构建 {path.name}，但另一次较新的构建已发布 {published().name}，保持不变"
              f" / built {path.name}; a newer build already published {published().name}, kept it")
        return 0
    print(f"已发布快照 published snapshot: {path.name}（{time.perf_counter() - t0:.1f} 秒 s）")
    from notify.deliver import after_build

    after_build()  # the alerts of the snapshot just published, for every user (never fails the build)
    return 0


def cmd_rollback(args) -> int:
    """Re-point CURRENT at an older snapshot (the previous one by default)."""
    from warehouse.build import list_snapshots, publish, published

    root = data_dir()
    snaps = [p.name for p in list_snapshots(root)]
    cur = published(root)
    if args.snapshot:
        target = args.snapshot if args.snapshot.endswith(".duckdb") else args.snapshot + ".duckdb"
        if target not in snaps:
            raise ExtractError("NO_SNAPSHOT", f"没有这个快照：{args.snapshot}（现有：{'、'.join(snaps) or '无'}）",
                               f"no such snapshot: {args.snapshot}")
    else:
        older = [s for s in snaps if cur is None or s < cur.name]
        if not older:
            raise ExtractError("NO_SNAPSHOT", "没有更早的快照可回退", "no older snapshot to roll back to")
        target = older[-1]
    publish(root, target)
    print(f"已回退，当前快照 now published: {target}（原为 was {cur.name if cur else '无 none'}）")
    return 0


def cmd_status(args) -> int:
    from warehouse.build import summary

    s = summary()
    if args.json:
        print(json.dumps(s, ensure_ascii=False, indent=2))
        return 0
    print(f"数据目录 data dir: {s['data_dir']}")
    print(f"当前快照 published snapshot: {s['published_snapshot'] or '（尚未构建 none yet）'}")
    print(f"{'数据源 source':<20} {'期数':>4} {'接收行':>10} {'拒绝行':>8}  最近导入 last landed")
    for n, v in s["sources"].items():
        print(f"{n:<20} {len(v['periods']):>4} {v['rows_accepted']:>10,} {v['rows_rejected']:>8,}  "
              f"{v['last_landed_at'] or '—'}  {v['title']}")
    return 0


def cmd_demo(args) -> int:
    from demo import generate

    files = generate(Path(args.out), scale=args.scale, seed=args.seed, progress=_bar(f"生成示例数据 demo ({args.scale})"))
    print(f"已生成 {len(files)} 个部门数据文件 wrote {len(files)} extracts to {args.out}（示例数据，虚构 synthetic）")
    return 0


KEY_WARNING = (
    "请立即备份密钥文件 {path}（离线保存，权限 600，切勿放入代码库或发给他人）：它把身份证号变成关联键，"
    "丢失后新导入的数据无法再与以往各期的儿童对应。\n"
    "Back up the key file {path} now (offline, mode 600, never in a repository or a message): it turns ID "
    "numbers into the linkage key; if it is lost, new landings can no longer be matched to the children of "
    "earlier periods."
)
ADMIN_PASSWORD_ENV = "TONGXIN_ADMIN_PASSWORD"


def cmd_init(args) -> int:
    """Prepare a real deployment's data folder: private folders, the ID-hash key, the root region, the
    first administrator. Run again, it changes nothing it made before and says so."""
    from auth import users
    from auth.__main__ import add_user
    from settings import make_private, private_dir

    from . import deployment

    root = data_dir()
    root_code = None
    if args.root:
        root_code = deployment.normalise_code(args.root)
        if root_code is None:
            raise ExtractError("BAD_ROOT", f"不是区划代码：{args.root}（2–12 位数字，如 320400 或 320400000000）",
                               f"not a division code: {args.root!r} (2–12 digits, e.g. 320400)")
        recorded = deployment.root_code(root)
        if recorded is not None and recorded != root_code:
            raise ExtractError(
                "ROOT_DIFFERS", f"本部署已设定根区划 {recorded}，与 --root {args.root} 不同；未做任何更改"
                f"（如确需更换，请编辑 {root / deployment.FILE}）",
                f"this deployment's root region is already {recorded}, not {args.root}; nothing changed "
                f"(edit {root / deployment.FILE} to change it)")
    done: list[str] = []  # what this run made
    kept: list[str] = []  # what was there already

    existed = root.is_dir()
    for folder in (root, root / "landed", root / "snapshots", root / "auth"):
        private_dir(folder, top=root)
    (kept if existed else done).append(f"数据目录 data folder: {root}")

    key = root / "secret.key"
    if os.environ.get("TONGXIN_SECRET"):
        kept.append("身份证号哈希密钥：使用环境变量 TONGXIN_SECRET / ID-hash key: from TONGXIN_SECRET")
    elif key.exists():
        make_private(key)  # narrows a key copied in world-readable; never rewrites it
        kept.append(f"身份证号哈希密钥（未改动）ID-hash key (unchanged): {key}")
    else:
        create_secret_key(root)
        done.append(f"身份证号哈希密钥 ID-hash key: {key}（权限 mode 600）")

    if root_code is not None:
        if deployment.root_code(root) == root_code:
            kept.append(f"根区划 root region: {root_code}")
        else:
            deployment.set_root_code(root, root_code)
            make_private(root / deployment.FILE)
            done.append(f"根区划 root region: {root_code}（{root / deployment.FILE}）")
    root_code = root_code or deployment.root_code(root)

    failed: ExtractError | None = None
    existing = users.load(root)
    admins = [u for u in existing.values() if u.role == "admin"]
    name = args.admin or (admins[0].username if admins else "admin")
    if name in existing or admins:  # init makes the first administrator only; more users: python -m auth add
        u = existing.get(name) or admins[0]
        name = u.username
        kept.append(f"用户（未改动）user (unchanged): {u.username}，角色 role {u.role}，范围 scope "
                    f"{users.scope_text(u.scope)}")
    else:
        scope = [deployment.prefix(root_code)] if root_code else [users.EVERYWHERE]
        try:
            add_user(name, "admin", scope, display_name="系统管理员", root=root, by="init",
                     password_env=ADMIN_PASSWORD_ENV)
            done.append(f"管理员 administrator: {name}，范围 scope {users.scope_text(scope)}")
        except users.AuthError as e:  # reported after the summary: a key made just now must still be seen
            failed = ExtractError("ADMIN_NOT_CREATED", f"未创建管理员：{e}（其余已完成，可重新运行 init）",
                                  f"administrator not created: {e} (the rest is done; run init again)")

    print("童心 初始化 / tongxin init")
    for line in done:
        print(f"  新建 created: {line}")
    for line in kept:
        print(f"  已有 exists:  {line}")
    if not done:
        print("  已全部就绪，本次未做任何更改 / everything was in place; nothing changed")
    if not os.environ.get("TONGXIN_SECRET"):  # said every run: the backup matters as long as the key lives
        print("!" * 72 + "\n" + KEY_WARNING.format(path=key) + "\n" + "!" * 72)
    if failed is not None:
        raise failed
    print("下一步 next steps:\n"
          "  1. 导入行政区划代码表 land the region table: python -m etl land regions 统计用区划代码表.csv --period 2026\n"
          "  2. 导入边界 land boundaries: python -m etl boundaries 区县边界.geojson\n"
          "  3. 构建 build: python -m etl build，然后启动 then start the app: make run（以管理员登录 sign in as "
          f"{name}，查看上线检查 see the setup page）\n"
          "  4. 导入各部门数据 land the departments' extracts: python -m etl sources 列出全部 22 类 lists all 22")
    return 0


def cmd_init_demo(args) -> int:
    """Generate the demo, land every file through the same path as `land`, build and publish."""
    from demo import generate
    from warehouse.build import build

    root = data_dir()
    if not os.environ.get("TONGXIN_SECRET"):
        create_secret_key(root)  # demo only: real deployments provide their own key
    out = Path(args.out) if args.out else root / "demo_extracts"
    manifest = out / "manifest.json"
    if not manifest.exists() or json.loads(manifest.read_text(encoding="utf-8")).get("scale") != args.scale:
        generate(out, scale=args.scale, seed=args.seed, progress=_bar("生成示例数据 demo"))
    files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    rejected = 0
    for f in tqdm(files, desc="导入 land", unit="个文件", file=sys.stderr):
        res = land(f["source"], out / f["file"], f["period"], synthetic=True, isolate=False)  # our own files
        rejected += res.entry.rows_rejected if res.entry else 0
    print(f"已导入 {len(files)} 个文件，拒绝 {rejected} 行（示例数据中故意放入的错误行）"
          f" / landed {len(files)} files, {rejected} rows rejected (deliberate bad rows)")
    land_demo_boundaries(out, root)
    path = build(progress=_bar("构建 build"))
    print(f"已发布快照 published snapshot: {path.name}")
    from auth.__main__ import DEMO_PASSWORD, demo_users

    names = ", ".join(n for n, _, _ in demo_users(root))
    print(f"示例用户 demo users: {names}（密码 password: {DEMO_PASSWORD}）")
    return 0


def cmd_worker(args) -> int:
    """Run the queued background jobs (one at a time, oldest first), then exit."""
    from .jobs import run_worker

    n = run_worker()
    print(f"已处理 {n} 个后台任务 / ran {n} jobs")
    return 0


def cmd_jobs(args) -> int:
    """The latest background jobs, newest first."""
    from .jobs import KIND_ZH, STATE_ZH, recent

    jobs = recent(limit=args.limit)
    if args.json:
        print(json.dumps(jobs, ensure_ascii=False, indent=2))
        return 0
    for j in jobs:
        p = j["params"]
        print(f"{j['id']}  {KIND_ZH[j['kind']]} {j['kind']:<8} {STATE_ZH[j['state']]} {j['state']:<9} "
              f"{p.get('source') or '—':<18} {p.get('period') or '—':<8} {j['progress']['fraction']:>4.0%}  "
              f"{j.get('error') or j.get('message') or j['progress']['text']}")
    return 0


def cmd_rebuild(args) -> int:
    """Queue a build job for the background worker and wait for it, showing its progress."""
    import getpass

    from .jobs import STATE_ZH, submit, wait

    job_id = submit("build", {}, os.environ.get("TONGXIN_USER") or getpass.getuser())
    print(f"已提交重建任务 queued build job {job_id}", file=sys.stderr)
    bar = _bar("重建 rebuild")
    try:
        job = wait(job_id, timeout=args.timeout,
                   on_progress=lambda j: bar(j["progress"]["text"], round(j["progress"]["fraction"] * 1000), 1000))
    except TimeoutError:
        print(f"等待超时，任务仍在后台运行（python -m etl jobs 查看）/ timed out; job {job_id} goes on in the "
              "background", file=sys.stderr)
        return 1
    print(f"{STATE_ZH[job['state']]} {job['state']}: {job.get('error') or job['message']}")
    return 0 if job["state"] != "failed" else 1


def _signoff_user(name: str):
    """The named user's role and scope (users.json): the CLI acts as that user, within their rights."""
    from auth import users
    from loop.store import LoopError

    u = users.load(data_dir()).get(name)
    if u is None or u.disabled:
        raise LoopError("NO_USER", f"没有这个用户或已停用：{name}", f"no such user, or disabled: {name!r}")
    return u


def _check_names(scope) -> dict[str, str]:
    """The published snapshot's worklist checks in these regions, code → name, through the query door."""
    from loop.store import LoopError
    from warehouse import queries as q
    from warehouse.queries import matching

    try:
        con = q.connect(q.current_snapshot_path(data_dir()))
    except q.SnapshotNotFound as e:
        raise LoopError("NO_SNAPSHOT", f"比对名单的批示需要已发布的数据快照。{e}",
                        "An instruction on a worklist needs a published snapshot.") from None
    try:
        checks = matching.checks(con, q.Scope.of(*scope))
    finally:
        con.close()
    return dict(zip(checks["check_code"].astype(str), checks["check_label"].astype(str)))


def _followup_listed(root, prefixes):
    """The published snapshot's follow-up items in these regions, by keys, through the query door."""
    from ui.followup import read_listed

    return read_listed(root, prefixes)


def cmd_signoff(args) -> int:
    """数据确认: status, confirm (county, then city), return with a reason."""
    from loop import signoff
    from loop.store import LoopError, read

    try:
        if args.action == "status":
            scope = list(_signoff_user(args.user).scope) if args.user else None
            df = signoff.status(data_dir(), source=args.source, period=args.period, scope=scope)
            if args.json:
                print(df.to_json(orient="records", force_ascii=False, indent=2))
                return 0
            print(f"{'数据源 source':<20} {'统计期':<8} {'区县':<7} {'状态 status':<12} {'编号 load id':<17} 最近操作 last action")
            for r in df.itertuples():
                last = f"{r.at} {r.user}" + (f"：{r.reason}" if r.reason else "") if r.at else "—"
                print(f"{r.source:<20} {r.period:<8} {r.county_code or '全市':<7} {r.status:<12} {r.load_id:<17} {last}")
            skipped = read(data_dir())[1]
            if skipped:
                print(f"注意 note: 跳过 {skipped} 行不完整的记录 skipped {skipped} torn line(s) in the sign-off store",
                      file=sys.stderr)
            return 0
        u = _signoff_user(args.user)
        if args.action == "baseline":
            done = signoff.baseline(data_dir(), user=u.username, role=u.role, scope=u.scope, source=args.source,
                                    period=args.period)
            for e in done:
                s = e["subject"]
                print(f"  {s['source']:<20} {s['period']:<8} {s['county_code'] or '全市'}")
            print(f"上线基线确认 go-live baseline: 市级确认 {len(done)} 项 city-confirmed {len(done)} landing(s)")
            return 0
        if args.action == "confirm":
            e = signoff.confirm(data_dir(), args.source, args.period, args.county, user=u.username, role=u.role,
                                scope=u.scope, level=args.level)
            print(f"已{signoff.LEVELS[args.level]}确认 confirmed at the {args.level} level: {args.source} "
                  f"{args.period} {e['subject']['county_code'] or '全市'}（导入 load {e['subject']['load_id']}）")
        else:
            e = signoff.return_(data_dir(), args.source, args.period, args.county, reason=args.reason,
                                user=u.username, role=u.role, scope=u.scope, level=args.level)
            print(f"已退回 returned: {args.source} {args.period} {e['subject']['county_code'] or '全市'}"
                  f"（原因 reason: {e['fields']['reason']}）")
        return 0
    except LoopError as e:
        print(f"错误 error: {e}", file=sys.stderr)
        return 2


def land_demo_boundaries(out: Path, root: Path | None = None) -> None:
    """Land the demo's schematic boundary files (listed under "boundaries" in its manifest)."""
    from .boundaries import land_boundaries

    manifest = json.loads((Path(out) / "manifest.json").read_text(encoding="utf-8"))
    # Counties before streets, so the map's outlines come from the same landing order every time.
    for b in sorted(manifest.get("boundaries", []), key=lambda b: b["level"] != "county"):
        land_boundaries(Path(out) / b["file"], b["level"], "code", "name", root=root)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m etl", description="童心 数据导入与构建 / tongxin ETL")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sources", help="列出数据源契约 list source contracts")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_sources)
    s = sub.add_parser("land", help="导入一个部门数据文件 land one extract")
    s.add_argument("source")
    s.add_argument("file")
    s.add_argument("--period", help="统计期 period, e.g. 2025-06, 2025Q2, 2025H1, 2025")
    s.add_argument("--synthetic", action="store_true", help="标记为示例数据 mark as synthetic demo data")
    s.add_argument("--mode", choices=list(MODES), help="导入方式 how it replaces earlier landings of the period: "
                   + "；".join(f"{m} {MODES[m]} ({MODES_EN[m]})" for m in MODES)
                   + "。默认：有区划列的按区县，否则按主键 / default: county where rows carry a division code, else key")
    s.add_argument("--allow-removal", action="store_true",
                   help="确认删除：允许本次导入使该期较多已有数据不再生效 confirm taking many rows of the period out of force")
    s.set_defaults(fn=cmd_land)
    s = sub.add_parser("withdraw", help="撤回一次导入 withdraw a landing (undo)")
    s.add_argument("source")
    s.add_argument("period")
    s.add_argument("load_id", help="导入编号 load id (python -m etl landings)")
    s.add_argument("--reason", required=True, help="撤回原因 reason (kept in the load log and audit log)")
    s.set_defaults(fn=cmd_withdraw)
    s = sub.add_parser("landings", help="导入记录 the load log, newest first")
    s.add_argument("--source")
    s.add_argument("--limit", type=int, default=50)
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_landings)
    s = sub.add_parser("boundaries", help="导入边界文件 land a boundary file (GeoJSON/Shapefile/GPKG)")
    s.add_argument("file")
    s.add_argument("--level", choices=["county", "street", "community"],
                   help="层级 level（默认由代码推断 default: inferred from the codes）")
    s.add_argument("--code-field", help="区划代码字段 field holding the division code（默认自动识别 default: found）")
    s.add_argument("--name-field", help="名称字段 field holding the name")
    s.add_argument("--valid-from", help="生效日期 valid from (YYYY-MM-DD), for 区划调整")
    s.add_argument("--gcj02", action="store_true", help="坐标为 GCJ-02（网络地图坐标）coordinates are GCJ-02")
    s.set_defaults(fn=cmd_boundaries)
    s = sub.add_parser("init", help="初始化真实部署：数据目录、密钥、首个管理员 prepare a real deployment")
    s.add_argument("--root", help="本部署的根区划代码 the deployment's root region code (province, city or county)")
    s.add_argument("--admin", help="首个管理员用户名 the first administrator's user name (default admin)")
    s.set_defaults(fn=cmd_init)
    s = sub.add_parser("build", help="构建并发布新快照 build and publish a snapshot")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(fn=cmd_build)
    s = sub.add_parser("rollback", help="回退到较早的快照 publish an older snapshot again")
    s.add_argument("snapshot", nargs="?", help="快照文件名 snapshot name (default: the one before the current)")
    s.set_defaults(fn=cmd_rollback)
    s = sub.add_parser("status", help="导入与快照状态 what is landed and published")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_status)
    s = sub.add_parser("worker", help="运行排队的后台任务后退出 run the queued background jobs, then exit")
    s.set_defaults(fn=cmd_worker)
    s = sub.add_parser("jobs", help="最近的后台任务 recent background jobs")
    s.add_argument("--json", action="store_true")
    s.add_argument("--limit", type=int, default=20)
    s.set_defaults(fn=cmd_jobs)
    s = sub.add_parser("rebuild", help="提交重建任务并等待 queue a rebuild and wait for it")
    s.add_argument("--timeout", type=float, default=3600.0, help="最长等待秒数 seconds to wait at most")
    s.set_defaults(fn=cmd_rebuild)
    s = sub.add_parser("signoff", help="数据确认：状态、确认、退回 data sign-off: status, confirm, return")
    so = s.add_subparsers(dest="action", required=True)
    t = so.add_parser("status", help="各数据源、统计期、区县的确认状态 sign-off status")
    t.add_argument("--source")
    t.add_argument("--period")
    t.add_argument("--user", help="只看该用户范围内的 only what this user's scope holds")
    t.add_argument("--json", action="store_true")
    t = so.add_parser("confirm", help="确认（先区县，后市级）confirm (the county first, then the city)")
    t.add_argument("source")
    t.add_argument("period")
    t.add_argument("--county", default="", help="区县代码（6 位）county code; 省略 = 全市 omitted = city-wide")
    t.add_argument("--user", required=True, help="以该用户的角色和范围确认 act as this user (role and scope)")
    t.add_argument("--level", choices=["county", "city"], default="county")
    t = so.add_parser("return", help="退回并说明原因 return with a reason")
    t.add_argument("source")
    t.add_argument("period")
    t.add_argument("--county", default="", help="区县代码（6 位）county code; 省略 = 全市 omitted = city-wide")
    t.add_argument("--reason", required=True, help="退回原因（不得含姓名、身份证号）reason (no names or ID numbers)")
    t.add_argument("--user", required=True)
    t.add_argument("--level", choices=["county", "city"], help="默认：用户可做的最高层级 default: the user's level")
    t = so.add_parser("baseline", help="上线基线确认：管理员一次市级确认现有的全部导入 go-live: an admin "
                      "city-confirms every landing in force")
    t.add_argument("--user", required=True, help="系统管理员 an administrator (role admin, city-wide scope)")
    t.add_argument("--source")
    t.add_argument("--period")
    s.set_defaults(fn=cmd_signoff)
    from loop import followup_cli

    followup_cli.register(sub, _followup_listed, _signoff_user)  # python -m etl followup: 督办
    from loop import instructions_cli

    instructions_cli.register(sub, _signoff_user, _check_names)  # python -m etl instruction: leaders' instructions
    from notify.cli import register as register_notify

    register_notify(sub)  # python -m etl notify: alerts and subscriptions (notify/cli.py)
    for name, fn, hlp in (("demo", cmd_demo, "生成示例数据文件 write demo extracts"),
                          ("init-demo", cmd_init_demo, "生成、导入并构建示例数据 demo + land + build")):
        s = sub.add_parser(name, help=hlp)
        s.add_argument("--out", required=name == "demo", help="输出目录 output folder")
        s.add_argument("--scale", choices=["tiny", "city", "province"], default="city")
        s.add_argument("--seed", type=int, default=7)
        s.set_defaults(fn=fn)
    args = p.parse_args(argv)
    try:
        return args.fn(args)
    except ExtractError as e:
        print(f"错误 error: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into head/less that closed early
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("已中断 interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # user-facing errors from the build carry their own bilingual text
        from warehouse.build import BuildError

        if isinstance(e, BuildError):
            print(f"构建失败 build failed: {e}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
