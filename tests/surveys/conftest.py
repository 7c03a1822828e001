import pytest


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"sla_sweep_interval_seconds": 0})
