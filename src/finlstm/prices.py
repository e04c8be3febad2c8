"""A daily price table: what makes one valid.

`validate_prices()` checks a frame and returns it ready to use: a sorted, unique
DatetimeIndex named "Date" (dates without a time zone), numeric columns, positive prices,
bars with Low <= Open, Close <= High, non-negative volume and no NaN or inf (unless the
caller asked for an explicit fill). A jump of more than `MAX_GAP_BUSINESS_DAYS` missing
business days between two rows gives a `CalendarGapWarning` naming the dates.
`finlstm.price_csv.read_price_csv()` reads a CSV file into such a frame.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd

from finlstm import checks
from finlstm.checks import InputError

__all__ = [
    "MAX_GAP_BUSINESS_DAYS",
    "OHLCV",
    "PRICE_COLUMNS",
    "CalendarGapWarning",
    "NanPolicy",
    "PriceDataError",
    "validate_prices",
]

PRICE_COLUMNS = ("Open", "High", "Low", "Close")
OHLCV = (*PRICE_COLUMNS, "Volume")
NanPolicy = Literal["raise", "ffill", "drop"]


class PriceDataError(InputError):
    """Price data that cannot be used as it is; the message names the problem and where."""


class CalendarGapWarning(UserWarning):
    """Two consecutive rows lie further apart than `max_gap` missing business days."""


# Business days that may be missing between two rows before a warning names the gap. Market
# holidays miss one or two; the longest closure in the bundled data (after 11 September
# 2001) missed four.
MAX_GAP_BUSINESS_DAYS = 5


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
