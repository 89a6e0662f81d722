"""Fuzzed configuration data (as YAML would give it): every typed config either loads or
raises ConfigError naming the key; never another exception, never a NaN that slips through."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rtr_chunk_executor.config import ExecutorNodeConfig
from rtr_core.config import ConfigError, flatten, from_dict, unflatten
from rtr_core.executor.config import ExecutorConfig
from rtr_core.policy import ObservationContract
from rtr_policy_node.config import PolicyNodeConfig

CONFIGS = [ExecutorConfig, ExecutorNodeConfig, PolicyNodeConfig, ObservationContract]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)


def mutations(cls):
    """Valid dotted keys of ``cls`` (and typos of them) set to arbitrary YAML values."""
    keys = list(flatten(cls()).keys())
    key = st.one_of(st.sampled_from(keys), st.sampled_from(keys).map(lambda k: k + 'x'))
    return st.dictionaries(key, values, min_size=1, max_size=4)


def load(cls, flat):
    try:
        return unflatten(cls, flat, 'fuzz.yaml')
    except ConfigError as exc:
        assert 'fuzz.yaml' in str(exc)
        return None


@pytest.mark.parametrize('cls', CONFIGS, ids=lambda c: c.__name__)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_configs_load_or_fail_clearly(cls, data):
    flat = data.draw(mutations(cls))
    cfg = load(cls, flat)  # anything but ConfigError fails the test
    if cfg is None:
        return
    for value in flatten(cfg).values():
        for v in value if isinstance(value, list) else [value]:
            assert not (isinstance(v, float) and math.isnan(v)), 'NaN slipped into a config'


def test_nan_is_never_a_config_value():
    with pytest.raises(ConfigError, match='control_rate_hz: expected a number, got NaN'):
        from_dict(ObservationContract, {'control_rate_hz': float('nan')}, 'c.yaml')
