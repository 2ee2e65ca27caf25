"""Fixtures of the publish tests (the data lives in publish_samples.py)."""

from __future__ import annotations

import pytest
from publish_samples import sample_input

from devicepark.publish.report import ReportInput


@pytest.fixture
def report_input() -> ReportInput:
    return sample_input()
