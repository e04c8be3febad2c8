"""Tests of finlstm.data and finlstm.prices: the bundled data, the online path (network
replaced), validation."""

import warnings

import numpy as np
import pandas as pd
import pytest

from finlstm import data
from finlstm.data import DataUnavailableError, load_prices
from finlstm.price_csv import read_price_csv
from finlstm.prices import PriceDataError, validate_prices


@pytest.mark.parametrize(
    ("symbol", "columns", "first", "last"),
    [
        ("sp500", ["Open", "High", "Low", "Close", "Volume"], "1999-01-04", "2018-12-31"),
        ("nasdaq", ["Open", "High", "Low", "Close", "Volume"], "1999-01-04", "2018-12-31"),
        ("vix", ["Close"], "2014-01-03", "2019-01-03"),
        ("wti", ["Close"], "1986-01-02", "2019-01-03"),
    ],
)
def test_bundled_series_load_offline_with_their_date_range(symbol, columns, first, last):
    frame = load_prices(symbol)
    assert list(frame.columns) == columns
    assert (frame.index[0], frame.index[-1]) == (pd.Timestamp(first), pd.Timestamp(last))
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert not frame.isna().any().any()
    assert frame.attrs["source"].startswith("bundled: arch.data.")


def test_default_is_the_sp500_and_yahoo_tickers_are_aliases():
    pd.testing.assert_frame_equal(load_prices(), load_prices("^GSPC"))
    assert load_prices().attrs["symbol"] == "sp500"


def test_start_and_end_select_an_inclusive_range():
    frame = load_prices("sp500", start="2008-01-01", end="2008-12-31")
    assert frame.index[0].year == 2008 and frame.index[-1] == pd.Timestamp("2008-12-31")


def test_unknown_offline_symbol_names_the_choices():
    with pytest.raises(PriceDataError, match=r"'AAPL' is not a bundled series.*online=True"):
        load_prices("AAPL")


def _fake_yahoo(n=30):
    index = pd.bdate_range("2020-01-01", periods=n, name="Date")
    close = 100 + np.arange(n, dtype=float)
    return pd.DataFrame(
        {"Open": close, "High": close + 1, "Low": close - 1, "Close": close, "Volume": 1e6},
        index=index,
    )


def test_online_download_is_cached_and_reused(monkeypatch, tmp_path):
    calls = []

    def fake_download(symbol, **kwargs):
        calls.append((symbol, kwargs))
        return _fake_yahoo()

    monkeypatch.setattr("yfinance.download", fake_download)
    first = load_prices("AAPL", online=True, cache_dir=tmp_path)
    second = load_prices("AAPL", online=True, cache_dir=tmp_path)
    assert len(calls) == 1
    assert calls[0][1]["timeout"] == 10.0
    assert "downloaded" in first.attrs["source"] and "cache" in second.attrs["source"]
    pd.testing.assert_frame_equal(first, second, check_freq=False)
    assert not list(tmp_path.glob("*.partial"))


def test_a_cached_download_honours_the_callers_nan_policy(monkeypatch, tmp_path):
    gappy = _fake_yahoo()
    gappy.iloc[5, gappy.columns.get_loc("Close")] = np.nan  # Yahoo left a hole in one day
    monkeypatch.setattr("yfinance.download", lambda *a, **k: gappy.copy())
    fresh = load_prices("AAPL", online=True, cache_dir=tmp_path, nan_policy="ffill")
    cached = load_prices("AAPL", online=True, cache_dir=tmp_path, nan_policy="ffill")
    assert "cache" in cached.attrs["source"]
    assert cached["Close"].iloc[5] == gappy["Close"].iloc[4]  # carried forward, not raised
    pd.testing.assert_frame_equal(fresh, cached, check_freq=False)
    with pytest.raises(PriceDataError, match=r"column 'Close' is missing a value"):
        load_prices("AAPL", online=True, cache_dir=tmp_path)  # the default still raises


def test_offline_falls_back_to_bundled_data_with_a_warning(monkeypatch, tmp_path):
    monkeypatch.setattr("yfinance.download", lambda *a, **k: pd.DataFrame())
    with pytest.warns(UserWarning, match=r"could not download 'AAPL'.*bundled 'sp500'"):
        frame = load_prices("AAPL", online=True, cache_dir=tmp_path)
    assert frame.attrs["symbol"] == "sp500"
    assert not list(tmp_path.iterdir()), "a failed download must not leave a cache file"


def test_online_only_raises_when_the_download_fails(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise ConnectionError("no route to host")

    monkeypatch.setattr("yfinance.download", refuse)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataUnavailableError, match=r"'AAPL'.*ConnectionError"):
            load_prices("AAPL", online=True, fallback=None, cache_dir=tmp_path)


def test_download_translates_yfinance_columns_and_inclusive_end(monkeypatch):
    seen = {}

    def fake_download(symbol, **kwargs):
        seen.update(kwargs)
        frame = _fake_yahoo()
        frame.columns = pd.MultiIndex.from_product([frame.columns, [symbol]])
        return frame

    monkeypatch.setattr("yfinance.download", fake_download)
    frame = data.download_yfinance("MSFT", start="2020-01-01", end="2020-01-31", timeout=3)
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"]
    assert seen["end"] == "2020-02-01"  # yfinance's end is exclusive


def _frame(close, dates=None):
    dates = dates if dates is not None else pd.bdate_range("2020-01-01", periods=len(close))
    return pd.DataFrame({"Close": close}, index=pd.DatetimeIndex(dates))


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (_frame([1.0, 2.0, 3.0]).rename(columns={"Close": "Price"}), r"missing column\(s\)"),
        (_frame([1.0, 2.0, 3.0], ["2020-01-01", "2020-01-03", "2020-01-02"]), "not sorted"),
        (_frame([1.0, 2.0, 3.0], ["2020-01-01", "2020-01-02", "2020-01-02"]), "duplicate date"),
        (_frame([1.0, -2.0, 3.0]), r"'Close' has a non-positive price -2.0 at row 1"),
        (_frame([1.0, 0.0, 3.0]), "non-positive price 0.0"),
        (_frame([1.0, np.nan, 3.0]), r"'Close' is missing a value at row 1 \(2020-01-02\)"),
        (_frame([1.0]), "need at least 2 rows"),
        (pd.DataFrame({"Close": [1.0, 2.0]}), "must be dates"),
    ],
)
def test_bad_prices_raise_an_error_naming_the_problem(frame, message):
    with pytest.raises(PriceDataError, match=message):
        validate_prices(frame, name="test")


def test_negative_volume_is_rejected_but_zero_volume_is_allowed():
    frame = _frame([1.0, 2.0, 3.0]).assign(Volume=[0.0, 5.0, 1.0])
    validate_prices(frame)
    with pytest.raises(PriceDataError, match="negative volume"):
        validate_prices(frame.assign(Volume=[0.0, -5.0, 1.0]))


def test_nan_policy_fills_forward_only_or_drops_when_asked():
    frame = _frame([np.nan, 1.0, np.nan, 3.0])
    filled = validate_prices(frame, nan_policy="ffill")
    # The leading gap is dropped, never back-filled from the future.
    assert filled["Close"].tolist() == [1.0, 1.0, 3.0]
    assert validate_prices(frame, nan_policy="drop")["Close"].tolist() == [1.0, 3.0]


def test_csv_errors_name_the_file_and_line(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("Date,Close\n2020-01-01,10\n2020-01-02,abc\n")
    with pytest.raises(PriceDataError, match=r"prices.csv, line 3, column 'Close'.*'abc'"):
        read_price_csv(path)
    path.write_text("Date,Close\n2020-01-01,10\n2020-01-02,-1\n")
    with pytest.raises(PriceDataError, match=r"prices.csv.*line 3 \(2020-01-02\)"):
        read_price_csv(path)
    path.write_text("Day,Close\n2020-01-01,10\n")
    with pytest.raises(PriceDataError, match="no 'Date' column"):
        read_price_csv(path)
    with pytest.raises(PriceDataError, match="no such file"):
        read_price_csv(tmp_path / "missing.csv")


def test_csv_round_trip_keeps_the_prices(tmp_path):
    frame = load_prices("sp500", end="1999-03-31")
    frame.to_csv(tmp_path / "sp.csv")
    pd.testing.assert_frame_equal(read_price_csv(tmp_path / "sp.csv"), frame, check_freq=False)
