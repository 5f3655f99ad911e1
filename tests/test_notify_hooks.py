"""Alerts are evaluated wherever a snapshot is published (etl build, the rebuild job) and the sidebar counts
the signed-in user's unread ones: the wiring of notify into the app and the ETL."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

from notify import store
from tests.files import signed_in


def test_a_build_evaluates_the_alerts(copy):
    from etl.__main__ import main

    assert not store.events(copy)
    assert main(["build", "--quiet"]) == 0
    assert [e for e in store.events(copy) if e["type"] == "fire"]


def test_the_sidebar_counts_unread_alerts(copy):
    from notify import deliver

    deliver.evaluate(copy)
    n = deliver.unread_count("leader", copy)
    app = str(Path(__file__).resolve().parents[1] / "app.py")
    at = signed_in(AppTest.from_file(app, default_timeout=60), "leader", ("990100000000",), "leader").run()
    assert not at.exception
    links = [e for e in at.sidebar if type(e).__name__ == "PageLink"]
    assert any(f"未读提醒 {n} 条" == e.proto.label for e in links), [e.proto.label for e in links]




def test_a_rebuild_job_evaluates_the_alerts(copy):
    from etl import jobs

    job = jobs.submit("build", {}, "admin", copy, start_worker=False)
    jobs.run_worker(copy)
    assert jobs.get(job, copy)["state"] == "published"
    assert [e for e in store.events(copy) if e["type"] == "fire"]
