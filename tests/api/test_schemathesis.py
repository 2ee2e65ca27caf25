"""Property-based requests generated from the OpenAPI spec: whatever they send, no 5xx.

Bounded: a few examples per operation, no shrinking of passing runs, and the app answers from the
small core store (requests that would ask for thousands of points are refused with a 400).
"""

from __future__ import annotations

import pytest
from apikit import AUTH, TOKEN
from hypothesis import HealthCheck, Phase, settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402


@pytest.fixture
def api_schema(core_store, api_env):
    from devicepark.api.app import create_app

    return schemathesis.openapi.from_asgi("/openapi.json", create_app(core_store, token=TOKEN))


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error(case):
    case.call_and_validate(headers=AUTH, checks=[not_a_server_error])
