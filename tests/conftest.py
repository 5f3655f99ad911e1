"""Shared fixtures: one small deterministic warehouse built through the real ETL, plus file makers."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from etl.__main__ import land_demo_boundaries
from etl.land import land
from warehouse.build import build, published

FIXTURE_SEED = 20261122

# The app hides error details from users (.streamlit/config.toml); tests want to read them.
try:
    import streamlit as _st

    _st.config.set_option("client.showErrorDetails", "full")
except ImportError:  # pragma: no cover
    pass


@pytest.fixture(scope="session")
def demo_extracts(tmp_path_factory) -> Path:
    """The tiny demo's department extracts (CSV in UTF-8/GB18030, xlsx with title rows)."""
    from demo import generate

    out = tmp_path_factory.mktemp("extracts")
    generate(out, scale="tiny", seed=FIXTURE_SEED)
    return out


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory, demo_extracts) -> Path:
    """The shared fixture warehouse: tiny demo landed file by file, built and published.

    Tests read it; none writes to it (tests that land or build make their own folder).
    """
    root = tmp_path_factory.mktemp("data")
    os.environ["TONGXIN_SECRET"] = "test-secret-not-for-production"
    manifest = json.loads((demo_extracts / "manifest.json").read_text(encoding="utf-8"))
    for f in manifest["files"]:
        land(f["source"], demo_extracts / f["file"], f["period"], root=root, synthetic=True, user="fixture",
             isolate=False)  # files the demo generator wrote: no need for the reading sandbox
    land_demo_boundaries(demo_extracts, root)
    build(root)
    assert published(root) is not None
    from auth.__main__ import demo_users

    demo_users(root)  # the README's demo users (password tongxin-demo), for browser sign-in
    os.environ["TONGXIN_DATA_DIR"] = str(root)
    return root


@pytest.fixture
def copy(data_dir, tmp_path, monkeypatch) -> Path:
    """A copy of the shared fixture warehouse, and TONGXIN_DATA_DIR pointing at it: for tests that land,
    build, withdraw or run jobs (the shared one is never written)."""
    import shutil

    root = tmp_path / "data"
    shutil.copytree(data_dir, root, ignore=shutil.ignore_patterns("*.lock"))
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(root))
    return root


@pytest.fixture(scope="session")
def snapshot_path(data_dir) -> Path:
    return published(data_dir)


@pytest.fixture(scope="module", autouse=True)
def release_app_caches():
    """Close the app's cached snapshot connections after each test module that ran the app in-process:
    DuckDB refuses another connection to the same file with a different configuration meanwhile."""
    yield
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="module")
def con(snapshot_path):
    """A read-only connection to the shared fixture snapshot, as the app opens it."""
    from warehouse.queries import connect

    con = connect(snapshot_path)
    yield con
    con.close()


@pytest.fixture(scope="session")
def app_server(data_dir):
    """The app served once for all browser tests, against the shared fixture warehouse."""
    from tests.browser import serve

    with serve(data_dir) as url:
        yield url


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    """A fresh data folder of a test's own, with the small region table of tests/files.py landed."""
    from tests.files import write_regions

    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    r = tmp_path / "data"
    land("regions", write_regions(tmp_path / "区划.csv"), "2025", root=r)
    return r
