"""Reading a daily price table from a CSV file, its errors naming the file, line and column.

`read_price_csv()` reads a `Date` column and price columns, turns the dates into the index
and every other column into numbers, then checks the table with
`finlstm.prices.validate_prices()`, which reports rows as file lines.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from finlstm import checks
from finlstm.prices import MAX_GAP_BUSINESS_DAYS, NanPolicy, PriceDataError, validate_prices

__all__ = ["read_price_csv"]


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
