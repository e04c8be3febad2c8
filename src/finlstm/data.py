"""Daily price data: the real market data bundled with `arch` (offline) or yfinance (online).

`load_prices()` is the one entry point. With no arguments it returns the S&P 500 index,
1999-01-04 to 2018-12-31, that ships inside the `arch` package, so every lesson runs with no
network. `online=True` asks yfinance for any ticker, keeps what it downloads in an on-disk
cache, and falls back to bundled data with a warning when it cannot connect.

Every frame that leaves this module has passed `validate_prices()`: a sorted, unique
DatetimeIndex named "Date" (dates without a time zone), numeric columns, positive prices,
bars with Low <= Open, Close <= High, non-negative volume and no NaN or inf (unless the
caller asked for an explicit fill). A jump of more than `MAX_GAP_BUSINESS_DAYS` missing
business days between two rows gives a `CalendarGapWarning` naming the dates.
"""

from __future__ import annotations

import csv
import importlib
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from finlstm import checks
from finlstm.checks import FinlstmError, InputError

__all__ = [
    "BUNDLED",
    "OHLCV",
    "PRICE_COLUMNS",
    "BundledSeries",
    "DataUnavailableError",
    "PriceDataError",
    "default_cache_dir",
    "download_yfinance",
    "load_prices",
    "read_price_csv",
    "validate_prices",
]

PRICE_COLUMNS = ("Open", "High", "Low", "Close")
OHLCV = (*PRICE_COLUMNS, "Volume")
NanPolicy = Literal["raise", "ffill", "drop"]


class PriceDataError(InputError):
    """Price data that cannot be used as it is; the message names the problem and where."""


class DataUnavailableError(FinlstmError, RuntimeError):
    """Online data was requested without a fallback and could not be fetched."""


class CalendarGapWarning(UserWarning):
    """Two consecutive rows lie further apart than `max_gap` missing business days."""


# Business days that may be missing between two rows before a warning names the gap. Market
# holidays miss one or two; the longest closure in the bundled data (after 11 September
# 2001) missed four.
MAX_GAP_BUSINESS_DAYS = 5


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
            frame = _load_online(symbol, start, end, cache_dir, timeout)
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


def _load_online(symbol, start, end, cache_dir, timeout) -> pd.DataFrame:
    path = _cache_path(cache_dir, symbol, start, end)
    if path.exists():
        frame = read_price_csv(path, max_gap=None)  # load_prices warns about gaps
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


def read_price_csv(
    path: str | Path,
    *,
    nan_policy: NanPolicy = "raise",
    max_gap: int | None = MAX_GAP_BUSINESS_DAYS,
) -> pd.DataFrame:
    """Read a CSV of daily prices (a `Date` column, then price columns) and validate it.

    Dates may carry a time-zone offset if every row has the same one; the index keeps their
    local dates. Errors name the file and, where one is to blame, the line (1-based, header =
    line 1) and the column.
    """
    checks.csv_arguments(path, nan_policy_=nan_policy, gap=max_gap)
    path = Path(path)
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise PriceDataError(f"{path}: no such file") from None
    except (IsADirectoryError, PermissionError) as error:
        raise PriceDataError(f"{path}: cannot be read ({error.strerror})") from None
    except (ValueError, UnicodeDecodeError, csv.Error) as error:  # pandas' ParserError is one
        raise PriceDataError(f"{path}: not a readable CSV file ({error})") from None
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas makes the first field the index when data lines are longer than the header.
        raise PriceDataError(
            f"{path}, line 2: more fields than the {len(frame.columns)} the header names "
            f"({list(frame.columns)})"
        )
    date_column = next((c for c in frame.columns if str(c).lower() in ("date", "datetime")), None)
    if date_column is None:
        raise PriceDataError(f"{path}: no 'Date' column; found columns {list(frame.columns)}")
    index = _parse_dates(frame[date_column], str(path))
    frame = frame.drop(columns=date_column)
    frame.index = index
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise PriceDataError(
                f"{path}, line {row + 2}, column '{column}': "
                f"{frame[column].iloc[row]!r} is not a number"
            )
        frame[column] = values.astype("float64")
    return validate_prices(
        frame, nan_policy=nan_policy, name=str(path), line_offset=2, max_gap=max_gap
    )


def _parse_dates(column: pd.Series, name: str) -> pd.DatetimeIndex:
    """A CSV's date column -> DatetimeIndex named "Date" (no time zone), or PriceDataError
    naming the line of the first date that cannot be read."""
    strings = column.astype("string")
    try:
        with warnings.catch_warnings():
            # "Could not infer format": each date is then read on its own, which is fine.
            warnings.simplefilter("ignore", UserWarning)
            dates = pd.to_datetime(strings, errors="coerce")
    except (ValueError, TypeError, OverflowError) as error:
        _raise_mixed_zones(strings, name)
        raise PriceDataError(
            f"{name}: cannot read the dates in '{column.name}' ({error})"
        ) from None
    unread = np.flatnonzero(dates.isna().to_numpy())
    if unread.size:
        _raise_mixed_zones(strings, name)
        row = int(unread[0])
        value = column.iloc[row]
        what = "a missing date" if pd.isna(value) else f"cannot read date {str(value)!r}"
        raise PriceDataError(f"{name}, line {row + 2}: {what}")
    index = pd.DatetimeIndex(dates, name="Date")
    if index.tz is not None:
        index = index.tz_localize(None)  # the local trading dates, as the file wrote them
    try:
        return index.as_unit("ns")
    except (OverflowError, ValueError):  # pandas' OutOfBoundsDatetime is a ValueError
        row = int(np.flatnonzero((index.year < 1678) | (index.year > 2261))[0])
        raise PriceDataError(
            f"{name}, line {row + 2}: date {str(column.iloc[row])!r} is outside 1678-2261"
        ) from None


def _raise_mixed_zones(strings: pd.Series, name: str) -> None:
    """Raise PriceDataError naming the first line whose time-zone offset differs from the
    first date's (no offset counts as one kind); return if they all agree."""
    offsets = []
    for value in strings:
        try:
            offsets.append(pd.Timestamp(value).utcoffset() if not pd.isna(value) else "skip")
        except (ValueError, TypeError, OverflowError):
            offsets.append("skip")
    readable = [(row, offset) for row, offset in enumerate(offsets) if offset != "skip"]
    for row, offset in readable[1:]:
        if offset != readable[0][1]:
            first_row, first = readable[0]
            raise PriceDataError(
                f"{name}, line {row + 2}: date {strings.iloc[row]!r} has time-zone offset "
                f"{offset} but line {first_row + 2} has {first}; write every date in one time "
                "zone (or none)"
            )


def validate_prices(
    frame: pd.DataFrame,
    *,
    required: tuple[str, ...] = ("Close",),
    nan_policy: NanPolicy = "raise",
    min_rows: int = 2,
    name: str = "prices",
    line_offset: int | None = None,
    max_gap: int | None = MAX_GAP_BUSINESS_DAYS,
) -> pd.DataFrame:
    """Check a price frame and return it (a copy, float64, with NaN handled as asked).

    Checks, in order: a DatetimeIndex without missing dates (a time zone is dropped, keeping
    the local dates), the `required` columns, unique column names, numbers in every column
    (numeric text is converted), dates sorted and unique, NaN and inf (inf counts as
    missing; per `nan_policy`), prices (Open/High/Low/Close) > 0, Volume >= 0, bars
    with Low <= Open, Close <= High, at least `min_rows` rows. Each failure raises
    `PriceDataError` naming `name`, the column, the row and date (or the file line when
    `line_offset` maps rows to lines). A gap of more than `max_gap` missing business days
    between consecutive rows warns (`CalendarGapWarning`, naming both dates); None allows
    any gap.
    """
    checks.validate_arguments(
        required=required, nan_policy_=nan_policy, min_rows=min_rows, name=name, gap=max_gap
    )
    frame = _dated_frame(frame, name)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise PriceDataError(f"{name}: missing column(s) {missing}; found {list(frame.columns)}")

    def where(row: int) -> str:
        date = frame.index[row].date()
        if line_offset is None:
            return f"row {row} ({date})"
        return f"line {row + line_offset} ({date})"

    frame = _numeric_columns(frame, name, where)
    steps = np.diff(frame.index.asi8)
    if (steps == 0).any():
        row = int(np.flatnonzero(steps == 0)[0]) + 1
        raise PriceDataError(f"{name}: duplicate date at {where(row)}")
    if (steps < 0).any():
        row = int(np.flatnonzero(steps < 0)[0]) + 1
        raise PriceDataError(
            f"{name}: dates are not sorted: {where(row)} comes after {frame.index[row - 1].date()}"
        )
    frame = _apply_nan_policy(frame, nan_policy, name, where)
    for column in frame.columns:
        values = frame[column].to_numpy()
        if column in PRICE_COLUMNS or column == "Adj Close":
            bad = np.flatnonzero(values <= 0)
            what = "a non-positive price"
        elif column == "Volume":
            bad = np.flatnonzero(values < 0)
            what = "a negative volume"
        else:
            continue
        if bad.size:
            raise PriceDataError(
                f"{name}: column '{column}' has {what} {values[bad[0]]} at {where(int(bad[0]))}"
                f" ({bad.size} such rows)"
            )
    _check_bars(frame, name, where)
    if len(frame) < min_rows:
        raise PriceDataError(f"{name}: need at least {min_rows} rows, got {len(frame)}")
    if max_gap is not None:
        _warn_about_gaps(frame.index, max_gap, name)
    return frame


def _dated_frame(frame, name: str) -> pd.DataFrame:
    """frame with a DatetimeIndex without NaT or time zone, or PriceDataError."""
    if not isinstance(frame, pd.DataFrame):
        raise PriceDataError(f"{name}: expected a pandas DataFrame, got {type(frame).__name__}")
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        zones = {getattr(v, "tzinfo", None) for v in index if isinstance(v, pd.Timestamp)}
        if len(zones) > 1:
            raise PriceDataError(
                f"{name}: the dates mix time zones ({sorted(map(str, zones))}); use one or none"
            )
        raise PriceDataError(
            f"{name}: the index must be dates (DatetimeIndex), got {type(index).__name__}"
        )
    if index.hasnans:
        row = int(np.flatnonzero(index.isna())[0])
        raise PriceDataError(f"{name}: row {row} has no date (NaT)")
    if frame.columns.has_duplicates:
        twice = frame.columns[frame.columns.duplicated()][0]
        raise PriceDataError(f"{name}: column '{twice}' appears more than once")
    attrs = dict(frame.attrs)
    frame = frame.copy()
    if index.tz is not None:
        frame.index = index.tz_localize(None)  # the local trading dates
    try:
        frame.index = frame.index.as_unit("ns").rename("Date")
    except (OverflowError, ValueError):  # pandas' OutOfBoundsDatetime is a ValueError
        years = frame.index.year
        row = int(np.flatnonzero((years < 1678) | (years > 2261))[0])
        raise PriceDataError(
            f"{name}: row {row} has date {frame.index[row]}, outside 1678-2261"
        ) from None
    frame.attrs = attrs
    return frame


def _numeric_columns(frame: pd.DataFrame, name: str, where) -> pd.DataFrame:
    """Every column as float64; text that is not a number raises, naming column and row."""
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            numbers = pd.to_numeric(values, errors="coerce")
            bad = numbers.isna() & values.notna()
            if pd.api.types.is_bool_dtype(values) or bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
                raise PriceDataError(
                    f"{name}: column '{column}' has {values.iloc[row]!r} at {where(row)}, "
                    "not a number"
                )
            values = numbers
        try:
            frame[column] = values.astype("float64")
        except (TypeError, ValueError, OverflowError):  # complex numbers, huge integers
            raise PriceDataError(
                f"{name}: column '{column}' holds {values.dtype} values, not real numbers"
            ) from None
    return frame


def _check_bars(frame: pd.DataFrame, name: str, where) -> None:
    """A bar's Low is its lowest price and its High its highest (columns that are present)."""
    if "Low" in frame and "High" in frame:
        low, high = frame["Low"].to_numpy(), frame["High"].to_numpy()
        bad = np.flatnonzero(high < low)
        if bad.size:
            row = int(bad[0])
            raise PriceDataError(
                f"{name}: High {high[row]} is below Low {low[row]} at {where(row)} "
                f"({bad.size} such rows)"
            )
    for column in ("Open", "Close"):
        for side, outside in (("Low", np.less), ("High", np.greater)):
            if column in frame and side in frame:
                bad = np.flatnonzero(outside(frame[column].to_numpy(), frame[side].to_numpy()))
                if bad.size:
                    row = int(bad[0])
                    raise PriceDataError(
                        f"{name}: {column} {frame[column].iloc[row]} is outside the bar's "
                        f"[Low, High] = [{frame['Low'].iloc[row] if 'Low' in frame else '?'}, "
                        f"{frame['High'].iloc[row] if 'High' in frame else '?'}] at {where(row)} "
                        f"({bad.size} such rows)"
                    )


def _warn_about_gaps(index: pd.DatetimeIndex, max_gap: int, name: str) -> None:
    """Warn once, naming the largest gap, when rows skip more than max_gap business days."""
    days = index.values.astype("datetime64[D]")
    missing = np.busday_count(days[:-1] + 1, days[1:])
    long = np.flatnonzero(missing > max_gap)
    if long.size:
        row = int(long[np.argmax(missing[long])])
        warnings.warn(
            f"{name}: {missing[row]} business days are missing between {days[row]} and "
            f"{days[row + 1]} ({long.size} gap(s) longer than max_gap={max_gap}); pass "
            "max_gap=None to allow gaps, or a larger max_gap",
            CalendarGapWarning,
            stacklevel=3,
        )


def _apply_nan_policy(frame: pd.DataFrame, nan_policy: str, name: str, where) -> pd.DataFrame:
    """NaN handled as `nan_policy` says; inf is treated as missing, like NaN."""
    attrs = dict(frame.attrs)
    frame = frame.replace([np.inf, -np.inf], np.nan)
    missing = frame.isna().to_numpy()
    if nan_policy == "raise":
        if missing.any():
            row, col = (int(i[0]) for i in np.nonzero(missing))
            raise PriceDataError(
                f"{name}: column '{frame.columns[col]}' is missing a value at {where(row)} "
                f"({int(missing.sum())} missing in all, inf counted as missing); pass "
                "nan_policy='ffill' or 'drop' to fill or drop them explicitly"
            )
    elif nan_policy == "ffill":
        # Only forward: a backward fill would copy a future price into the past.
        frame = frame.ffill().dropna()
    else:
        frame = frame.dropna()
    frame.attrs = attrs
    return frame
