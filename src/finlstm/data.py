"""Daily price data: the real market data bundled with `arch` (offline) or yfinance (online).

`load_prices()` is the one entry point. With no arguments it returns the S&P 500 index,
1999-01-04 to 2018-12-31, that ships inside the `arch` package, so every lesson runs with no
network. `online=True` asks yfinance for any ticker, keeps what it downloads in an on-disk
cache, and falls back to bundled data with a warning when it cannot connect.

Every frame that leaves this module has passed `finlstm.prices.validate_prices()`, which says
what a valid price table is.
"""

from __future__ import annotations

import importlib
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from finlstm import checks
from finlstm.checks import FinlstmError
from finlstm.price_csv import read_price_csv
from finlstm.prices import (
    MAX_GAP_BUSINESS_DAYS,
    OHLCV,
    NanPolicy,
    PriceDataError,
    validate_prices,
)

__all__ = [
    "BUNDLED",
    "BundledSeries",
    "DataUnavailableError",
    "default_cache_dir",
    "download_yfinance",
    "load_prices",
]


class DataUnavailableError(FinlstmError, RuntimeError):
    """Online data was requested without a fallback and could not be fetched."""


@dataclass(frozen=True)
class BundledSeries:
    """A real daily series shipped inside the `arch` package."""

    module: str  # importable module with a load() function
    description: str
    column_map: dict[str, str]  # arch's column name -> our column name
    yahoo_tickers: tuple[str, ...]  # tickers that mean the same series online


BUNDLED: dict[str, BundledSeries] = {
    "sp500": BundledSeries(
        "arch.data.sp500",
        "S&P 500 index, daily OHLCV, 1999-01-04 to 2018-12-31 (Yahoo Finance via arch)",
        {c: c for c in OHLCV},
        ("^GSPC", "SPX"),
    ),
    "nasdaq": BundledSeries(
        "arch.data.nasdaq",
        "NASDAQ Composite index, daily OHLCV, 1999-01-04 to 2018-12-31 (Yahoo Finance via arch)",
        {c: c for c in OHLCV},
        ("^IXIC",),
    ),
    "vix": BundledSeries(
        "arch.data.vix",
        "CBOE VIX index, daily close, 2014-01-03 to 2019-01-03 (FRED VIXCLS via arch)",
        {"vix": "Close"},
        ("^VIX",),
    ),
    "wti": BundledSeries(
        "arch.data.wti",
        "WTI crude oil spot price, USD per barrel, daily, 1986-01-02 to 2019-01-03 "
        "(FRED DCOILWTICO via arch)",
        {"DCOILWTICO": "Close"},
        ("CL=F",),
    ),
}


def load_prices(
    symbol: str = "sp500",
    *,
    online: bool = False,
    fallback: str | None = "sp500",
    start: str | None = None,
    end: str | None = None,
    nan_policy: NanPolicy = "raise",
    cache_dir: str | Path | None = None,
    timeout: float = 10.0,
    max_gap: int | None = MAX_GAP_BUSINESS_DAYS,
) -> pd.DataFrame:
    """Daily prices as a DataFrame indexed by date.

    Args:
      symbol: a bundled series ("sp500", "nasdaq", "vix", "wti", or a Yahoo ticker of one of
        them such as "^GSPC"), or, with `online=True`, any Yahoo Finance ticker ("AAPL").
      online: fetch `symbol` with yfinance (through the on-disk cache). Offline, only bundled
        series can be loaded.
      fallback: with `online=True`, the bundled series returned, with a warning, when the
        download fails. `None` means online only: a failed download raises
        `DataUnavailableError`.
      start, end: optional ISO dates ("2005-01-01"); `end` is inclusive.
      nan_policy: what to do with missing values (NaN, and inf, which is treated as
        missing): "raise" (default), "ffill" (carry the last price forward; leading NaN
        rows are dropped) or "drop" (drop rows with any NaN).
      cache_dir: where downloads are kept (default `$FINLSTM_CACHE` or ~/.cache/finlstm).
      timeout: seconds yfinance may wait for Yahoo.
      max_gap: business days that may be missing between two rows before a
        `CalendarGapWarning` names the gap; None allows any gap silently.

    Returns:
      DataFrame with a DatetimeIndex named "Date" and columns Open, High, Low, Close, Volume
      (prices in the quote currency, volume in shares or contracts). The close-only bundled
      series (vix, wti) have the single column Close. `df.attrs["source"]` says where the
      data came from, `df.attrs["symbol"]` what it is.
    """
    checks.load_arguments(
        symbol,
        online=online,
        fallback=fallback,
        start=start,
        end=end,
        nan_policy_=nan_policy,
        timeout=timeout,
        gap=max_gap,
    )
    if online:
        try:
            frame = _load_online(symbol, start, end, cache_dir, timeout, nan_policy)
        except DataUnavailableError as error:
            if fallback is None:
                raise
            warnings.warn(
                f"{error} Using the bundled '{fallback}' data instead "
                f"({BUNDLED[_bundled_key(fallback)].description}).",
                stacklevel=2,
            )
            frame = _load_bundled(fallback)
    else:
        frame = _load_bundled(symbol)
    frame = _select_dates(frame, start, end)
    return validate_prices(
        frame, nan_policy=nan_policy, name=frame.attrs.get("symbol", symbol), max_gap=max_gap
    )


def _bundled_key(symbol: str) -> str:
    key = symbol.lower()
    if key in BUNDLED:
        return key
    for name, series in BUNDLED.items():
        if symbol.upper() in series.yahoo_tickers:
            return name
    raise PriceDataError(
        f"'{symbol}' is not a bundled series; choose one of {sorted(BUNDLED)} "
        "or pass online=True to download it with yfinance."
    )


def _load_bundled(symbol: str) -> pd.DataFrame:
    key = _bundled_key(symbol)
    series = BUNDLED[key]
    raw = importlib.import_module(series.module).load()
    frame = raw[list(series.column_map)].rename(columns=series.column_map)
    if len(series.column_map) == 1:
        # FRED lists every weekday; the empty rows are market holidays, not missing quotes.
        frame = frame.dropna()
    frame.index = pd.DatetimeIndex(frame.index).as_unit("ns")
    frame.index.name = "Date"
    frame = frame.astype("float64")
    frame.attrs = {"symbol": key, "source": f"bundled: {series.module} ({series.description})"}
    return frame


def _select_dates(frame: pd.DataFrame, start: str | None, end: str | None) -> pd.DataFrame:
    attrs = dict(frame.attrs)
    if start is not None or end is not None:
        frame = frame.loc[start:end]
        if frame.empty:
            raise PriceDataError(f"no rows of '{attrs.get('symbol')}' between {start} and {end}")
    frame.attrs = attrs
    return frame


def default_cache_dir() -> Path:
    """The download cache: `$FINLSTM_CACHE` if set, else ~/.cache/finlstm."""
    return Path(os.environ.get("FINLSTM_CACHE", Path.home() / ".cache" / "finlstm"))


def _cache_path(cache_dir: str | Path | None, symbol: str, start, end) -> Path:
    safe = "".join(ch if ch.isalnum() else "_" for ch in symbol)
    return Path(cache_dir or default_cache_dir()) / f"{safe}_{start or 'first'}_{end or 'last'}.csv"


def _load_online(symbol, start, end, cache_dir, timeout, nan_policy: NanPolicy) -> pd.DataFrame:
    path = _cache_path(cache_dir, symbol, start, end)
    if path.exists():
        # The cached file is the download as it came, so it gets the caller's NaN policy;
        # load_prices warns about gaps.
        frame = read_price_csv(path, nan_policy=nan_policy, max_gap=None)
        frame.attrs = {"symbol": symbol, "source": f"yfinance cache: {path}"}
        return frame
    frame = download_yfinance(symbol, start=start, end=end, timeout=timeout)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write to a temporary name first so that an interrupted run leaves no half-written cache.
    partial = path.with_suffix(".partial")
    frame.to_csv(partial)
    partial.replace(path)
    frame.attrs = {"symbol": symbol, "source": f"yfinance (downloaded, cached at {path})"}
    return frame


def download_yfinance(
    symbol: str, *, start: str | None, end: str | None, timeout: float
) -> pd.DataFrame:
    """Download daily OHLCV for one ticker with yfinance.

    Raises:
      DataUnavailableError: the download failed or came back empty (no network, unknown
        ticker, Yahoo refused); the message says which.
    """
    import yfinance

    # yfinance's `end` is exclusive; ours is inclusive.
    end_exclusive = None if end is None else str(pd.Timestamp(end) + pd.Timedelta(days=1))[:10]
    logger = logging.getLogger("yfinance")
    level = logger.level
    try:
        # yfinance logs each failure to stderr and warns about pandas deprecations; the
        # error below says what went wrong once, in our words.
        logger.setLevel(logging.CRITICAL)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = yfinance.download(
                symbol,
                start=start,
                end=end_exclusive,
                interval="1d",
                auto_adjust=True,
                progress=False,
                threads=False,
                timeout=timeout,
                multi_level_index=False,
            )
        reason = getattr(getattr(yfinance, "shared", None), "_ERRORS", {}).get(symbol)
    except Exception as error:  # yfinance raises many kinds; all mean "not available"
        raise DataUnavailableError(
            f"could not download '{symbol}' from Yahoo Finance ({type(error).__name__}: {error})."
        ) from error
    finally:
        logger.setLevel(level)
    if raw is None or raw.empty:
        why = f": {reason}" if reason else " (offline, or an unknown ticker)"
        raise DataUnavailableError(
            f"could not download '{symbol}' from Yahoo Finance; no rows came back{why}."
        )
    if isinstance(raw.columns, pd.MultiIndex):
        raw.columns = raw.columns.get_level_values(0)
    missing = [c for c in OHLCV if c not in raw.columns]
    if missing:
        raise DataUnavailableError(
            f"Yahoo Finance answered for '{symbol}' without columns {missing}."
        )
    frame = raw[list(OHLCV)].astype("float64")
    frame.index = pd.DatetimeIndex(frame.index).tz_localize(None).as_unit("ns")
    frame.index.name = "Date"
    return frame
