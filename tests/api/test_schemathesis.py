"""Property-based requests generated from the OpenAPI spec: whatever they send, no 5xx.

Bounded: a few examples per operation, no shrinking of passing runs, and the app answers from the
small core store (requests that would ask for thousands of points are refused with a 400).

Each operation's strategy is driven by Hypothesis directly rather than through schemathesis'
pytest plugin, whose lazy-fixture integration depends on pytest internals (it broke on pytest
9.2); the checks and the generated requests are the same.
"""

from __future__ import annotations

import pytest
from apikit import AUTH, TOKEN
from hypothesis import HealthCheck, Phase, given, settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402

BOUNDED = settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    database=None,
)


@pytest.mark.slow
def test_no_server_error(core_store, api_env):
    from devicepark.api.app import create_app

    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(core_store, token=TOKEN))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5  # the spec lists the API's endpoints, not an empty document
    for operation in operations:

        @BOUNDED
        @given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate(headers=AUTH, checks=[not_a_server_error])

        check()
