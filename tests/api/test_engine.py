"""The API reads the store through ``devicepark.store.engine``, as every face does: the engine
options of ``serve`` reach the backend, each DuckDB request cursor has the engine's settings,
and on Spark the answers are the DuckDB bytes."""

from __future__ import annotations

import pytest
from apikit import AUTH, BASE_URL, TOKEN, get

from devicepark.api.state import StoreState
from devicepark.questions import EngineOptions


def test_request_cursors_share_the_engine_settings(core_store, monkeypatch, tmp_path):
    monkeypatch.setenv("DEVICEPARK_TEMP_DIR", str(tmp_path / "spill"))
    state = StoreState(core_store, EngineOptions(engine="duckdb", memory_limit="256MB"))
    with state.tables() as (con, tables):
        settings = con.raw_sql(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory'), "
            "current_setting('TimeZone'), current_setting('enable_progress_bar')"
        ).fetchall()
        assert con.to_pyarrow(tables.lines.count()).as_py() == 10
    limit, spill, zone, progress = settings[0]
    assert limit in ("256.0 MiB", "244.1 MiB")  # DuckDB prints the limit in MiB
    assert (spill, zone, progress) == (str(tmp_path / "spill"), "UTC", False)
    state.close()


def test_serve_passes_the_engine_options(core_store, api_env, monkeypatch):
    from apikit import cli

    import devicepark.cli.serve as serve

    served = []
    monkeypatch.setattr(serve, "run", lambda app, host, port: served.append(app))
    cli("serve", "--store", str(core_store), "--memory-limit", "300MB", "--engine", "duckdb")
    (app,) = served
    assert app.state.store.engine == EngineOptions(engine="duckdb", memory_limit="300MB")
    assert get(app, BASE_URL, {"Authorization": "Bearer x"}).status_code == 401  # no token set


@pytest.mark.spark
def test_spark_answers_the_duckdb_bytes(core_store, api_env, spark_backend):
    """One shared Spark backend (the session's, handed back by getOrCreate) for every request."""
    from devicepark.api.app import create_app

    duck = create_app(core_store, token=TOKEN)
    opts = EngineOptions(engine="spark", spark_master="local[2]")
    spark = create_app(core_store, token=TOKEN, engine=opts)
    for url in (BASE_URL + "&by=vendor,operator_brand",
                "/v1/series?from=2022-01-20&to=2022-02-03&every=week"):  # fmt: skip
        assert get(spark, url, AUTH).content == get(duck, url, AUTH).content
