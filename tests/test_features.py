"""Tests of finlstm.features: known values, and causality for every feature."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finlstm import features


def prices_from(values) -> pd.Series:
    return pd.Series(values, index=pd.bdate_range("2020-01-01", periods=len(values)), dtype=float)


def random_walk(n=300, seed=0) -> pd.Series:
    rng = np.random.default_rng(seed)
    return prices_from(100 * np.exp(np.cumsum(0.01 * rng.standard_normal(n))))


def test_returns_match_their_definitions():
    p = prices_from([100.0, 110.0, 99.0])
    np.testing.assert_allclose(features.simple_returns(p).iloc[1:], [0.1, -0.1])
    log = features.log_returns(random_walk())
    assert log.iloc[1:].sum() == pytest.approx(
        np.log(random_walk().iloc[-1] / random_walk().iloc[0])
    )


def test_realized_volatility_is_a_rolling_std():
    r = features.log_returns(random_walk()).dropna()
    vol = features.realized_volatility(r, window=21, annualize=False)
    assert vol.iloc[:20].isna().all()
    assert vol.iloc[30] == pytest.approx(np.std(r.iloc[10:31], ddof=1))
    annual = features.realized_volatility(r, window=21)
    assert annual.iloc[30] == pytest.approx(vol.iloc[30] * np.sqrt(252))


def test_parkinson_variance_matches_the_formula_and_checks_its_inputs():
    index = pd.date_range("2020-01-01", periods=3, freq="D")
    high = pd.Series([101.0, 105.0, 100.0], index=index)
    low = pd.Series([99.0, 100.0, 100.0], index=index)
    expected = np.log(high / low) ** 2 / (4 * np.log(2))
    np.testing.assert_allclose(features.parkinson_variance(high, low), expected)
    assert features.parkinson_variance(high, low).iloc[2] == 0.0
    with pytest.raises(ValueError, match="high is below low on 2020-01-01"):
        features.parkinson_variance(low, high)


def test_rsi_is_100_when_prices_only_rise_and_stays_in_range():
    assert features.rsi(prices_from(np.arange(1.0, 40.0))).dropna().eq(100).all()
    values = features.rsi(random_walk()).dropna()
    assert values.between(0, 100).all() and len(values) == 300 - 14


def test_bollinger_middle_is_the_rolling_mean_and_bands_are_symmetric():
    p = random_walk()
    bands = features.bollinger_bands(p, window=20, num_std=2.0).dropna()
    np.testing.assert_allclose(bands["middle"], p.rolling(20).mean().dropna())
    np.testing.assert_allclose(bands["upper"] - bands["middle"], bands["middle"] - bands["lower"])


def test_macd_is_the_difference_of_two_emas():
    p = random_walk()
    m = features.macd(p)
    expected = p.ewm(span=12, adjust=False).mean() - p.ewm(span=26, adjust=False).mean()
    np.testing.assert_allclose(m["macd"].dropna(), expected.iloc[25:])
    np.testing.assert_allclose(m["histogram"].dropna(), (m["macd"] - m["signal"]).dropna())


def test_add_features_has_the_course_columns():
    frame = pd.DataFrame({"Close": random_walk()})
    out = features.add_features(frame)
    assert list(out.columns) == [
        "log_return",
        "volatility_21d",
        "rsi_14",
        "macd",
        "macd_signal",
        "macd_hist",
        "bb_percent_b",
        "bb_bandwidth",
    ]
    assert not out.iloc[40:].isna().any().any()


ALL_FEATURES = {
    "simple_returns": lambda p: features.simple_returns(p),
    "log_returns": lambda p: features.log_returns(p),
    "realized_volatility": lambda p: features.realized_volatility(features.log_returns(p), 10),
    "parkinson_variance": lambda p: features.parkinson_variance(p * 1.01, p),
    "rsi": lambda p: features.rsi(p, 14),
    "macd": lambda p: features.macd(p, 5, 12, 4),
    "bollinger_bands": lambda p: features.bollinger_bands(p, 10),
    "add_features": lambda p: features.add_features(pd.DataFrame({"Close": p})),
}


@pytest.mark.parametrize("name", sorted(ALL_FEATURES))
@settings(max_examples=30, deadline=None)
@given(
    values=st.lists(st.floats(1.0, 1e4), min_size=60, max_size=150),
    cut=st.integers(30, 55),
    factor=st.floats(0.5, 2.0).filter(lambda f: abs(f - 1) > 1e-3),
)
def test_perturbing_prices_after_t_changes_no_feature_at_or_before_t(name, values, cut, factor):
    """Causality, the law every feature must keep: the future cannot move the past."""
    original = prices_from(values)
    changed = original.copy()
    changed.iloc[cut + 1 :] *= factor
    compute = ALL_FEATURES[name]
    before = pd.DataFrame(compute(original)).iloc[: cut + 1]
    after = pd.DataFrame(compute(changed)).iloc[: cut + 1]
    pd.testing.assert_frame_equal(before, after)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: features.log_returns([1.0, 2.0]), TypeError, "pandas Series"),
        (lambda: features.log_returns(prices_from([1.0, -2.0])), ValueError, "must be > 0"),
        (lambda: features.rsi(prices_from([1.0, 2.0]), window=1), ValueError, "window must be"),
        (lambda: features.macd(prices_from([1.0, 2.0]), fast=26, slow=12), ValueError, "shorter"),
        (lambda: features.add_features(pd.DataFrame({"Open": [1.0]})), ValueError, "'Close'"),
    ],
)
def test_bad_inputs_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
