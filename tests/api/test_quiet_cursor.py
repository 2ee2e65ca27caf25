"""Each API request's DuckDB cursor has the engine's progress bar off (see
tests/test_engine_quiet.py); the setting is made on every cursor rather than trusting the
default a new cursor happens to have."""

from __future__ import annotations

from devicepark.api.state import StoreState

SETTING = "SELECT current_setting('enable_progress_bar')"


def test_every_request_cursor_is_quiet(core_store):
    state = StoreState(core_store)
    for _ in range(2):
        with state.tables() as (con, _tables):
            assert con.raw_sql(SETTING).fetchall() == [(False,)]
