"""Causal technical features: the value at day t uses prices up to day t only.

Every function takes a pandas Series of prices (or returns) on a DatetimeIndex and returns
values on the same index. Rolling and exponentially weighted windows only look backwards;
the first rows, before a window is full, are NaN, and the caller drops them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "add_features",
    "bollinger_bands",
    "log_returns",
    "macd",
    "parkinson_variance",
    "realized_volatility",
    "rsi",
    "simple_returns",
]


def _series(prices, name: str = "prices", positive: bool = True) -> pd.Series:
    if not isinstance(prices, pd.Series):
        raise TypeError(f"{name} must be a pandas Series, got {type(prices).__name__}")
    if positive:
        bad = prices <= 0
        if bad.any():
            raise ValueError(
                f"{name} must be > 0; first bad value {prices[bad].iloc[0]} "
                f"on {prices.index[bad.to_numpy()][0]}"
            )
    return prices.astype("float64")


def _window(value: int, name: str, minimum: int = 2) -> int:
    if not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def simple_returns(prices: pd.Series) -> pd.Series:
    """p_t / p_{t-1} - 1, a fraction; NaN on the first day."""
    p = _series(prices)
    return (p / p.shift(1) - 1.0).rename("return")


def log_returns(prices: pd.Series) -> pd.Series:
    """log(p_t / p_{t-1}); NaN on the first day. Log returns add up over time."""
    p = _series(prices)
    return np.log(p / p.shift(1)).rename("log_return")


def realized_volatility(
    returns: pd.Series, window: int = 21, annualize: bool = True, periods_per_year: int = 252
) -> pd.Series:
    """Rolling standard deviation (ddof=1) of the last `window` returns, times
    sqrt(periods_per_year) when annualised (0.2 = 20% a year)."""
    r = _series(returns, "returns", positive=False)
    vol = r.rolling(_window(window, "window")).std(ddof=1)
    return (vol * np.sqrt(periods_per_year) if annualize else vol).rename("realized_volatility")


def parkinson_variance(high: pd.Series, low: pd.Series) -> pd.Series:
    """Daily return variance estimated from the day's range (Parkinson 1980):
    log(high / low)**2 / (4 log 2), in units of (log return)**2.

    A one-day proxy for realised variance that is far less noisy than the squared return and,
    unlike it, is zero only when high equals low. Uses day t's high and low only.
    """
    h, lo = _series(high, "high"), _series(low, "low")
    if not h.index.equals(lo.index):
        raise ValueError("high and low must share one index")
    below = h < lo
    if below.any():
        raise ValueError(f"high is below low on {h.index[below.to_numpy()][0]}")
    return (np.log(h / lo) ** 2 / (4.0 * np.log(2.0))).rename("parkinson_variance")


def rsi(prices: pd.Series, window: int = 14) -> pd.Series:
    """Wilder's Relative Strength Index in [0, 100] (Wilder 1978): 100 - 100 / (1 + RS),
    RS = smoothed gains / smoothed losses, Wilder smoothing (alpha = 1/window). NaN for the
    first `window` days."""
    p = _series(prices)
    n = _window(window, "window")
    change = p.diff()
    gains = change.clip(lower=0).ewm(alpha=1 / n, adjust=False, min_periods=n).mean()
    losses = (-change).clip(lower=0).ewm(alpha=1 / n, adjust=False, min_periods=n).mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        value = 100.0 - 100.0 / (1.0 + gains / losses)
    value = value.where(losses != 0, 100.0).where(gains.notna())  # no losses at all: 100
    return value.rename("rsi")


def macd(prices: pd.Series, fast: int = 12, slow: int = 26, signal: int = 9) -> pd.DataFrame:
    """Moving Average Convergence Divergence (Appel): EMA(fast) - EMA(slow) of prices, its
    EMA(signal), and their difference. Columns: macd, signal, histogram (price units)."""
    p = _series(prices)
    fast, slow, signal = (
        _window(v, n) for v, n in ((fast, "fast"), (slow, "slow"), (signal, "signal"))
    )
    if fast >= slow:
        raise ValueError(f"fast must be shorter than slow, got fast={fast}, slow={slow}")
    line = p.ewm(span=fast, adjust=False).mean() - p.ewm(span=slow, adjust=False).mean()
    line[: slow - 1] = np.nan  # before the slow average has `slow` prices it is not an average
    signal_line = line.ewm(span=signal, adjust=False, min_periods=signal).mean()
    return pd.DataFrame({"macd": line, "signal": signal_line, "histogram": line - signal_line})


def bollinger_bands(prices: pd.Series, window: int = 20, num_std: float = 2.0) -> pd.DataFrame:
    """Bollinger bands: the rolling mean of the last `window` prices (middle) +- num_std
    rolling standard deviations (population, ddof=0). Also percent_b = (p - lower) /
    (upper - lower) and bandwidth = (upper - lower) / middle."""
    p = _series(prices)
    n = _window(window, "window")
    middle = p.rolling(n).mean()
    spread = num_std * p.rolling(n).std(ddof=0)
    upper, lower = middle + spread, middle - spread
    width = upper - lower
    return pd.DataFrame(
        {
            "middle": middle,
            "upper": upper,
            "lower": lower,
            "percent_b": (p - lower) / width.where(width != 0),
            "bandwidth": width / middle,
        }
    )


def add_features(prices: pd.DataFrame) -> pd.DataFrame:
    """The course's feature set from a frame with a Close column: log return, 21-day
    realised volatility, RSI(14), MACD(12, 26, 9) and Bollinger %b and bandwidth (20, 2).

    The first ~33 rows hold NaN while the windows fill; drop them before scaling.
    """
    if not isinstance(prices, pd.DataFrame) or "Close" not in prices:
        raise ValueError("add_features needs a DataFrame with a 'Close' column")
    close = _series(prices["Close"], "Close")
    returns = log_returns(close)
    m = macd(close)
    bands = bollinger_bands(close)
    return pd.DataFrame(
        {
            "log_return": returns,
            "volatility_21d": realized_volatility(returns, 21),
            "rsi_14": rsi(close, 14),
            "macd": m["macd"],
            "macd_signal": m["signal"],
            "macd_hist": m["histogram"],
            "bb_percent_b": bands["percent_b"],
            "bb_bandwidth": bands["bandwidth"],
        },
        index=prices.index,
    )
