"""Bad input at every public entry point: each case gets the library's own error, naming the
argument, file, line, row or column, or the documented behaviour; property tests feed
arbitrary bytes, frames and shapes and accept only a valid result or a FinlstmError."""

import warnings

import jax
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from finlstm.checks import FinlstmError, InputError
from finlstm.data import DataUnavailableError, load_prices
from finlstm.models import ModelConfig, StackedLSTM
from finlstm.parallel import fit_many, predict_many, train_many
from finlstm.prep import make_windows
from finlstm.price_csv import read_price_csv
from finlstm.prices import CalendarGapWarning, PriceDataError, validate_prices
from finlstm.train import TrainConfig, TrainingDivergedError, fit, predict

TINY = StackedLSTM(ModelConfig(hidden_sizes=(2,), dense_size=2, dropout=0.0))
ONE_EPOCH = TrainConfig(epochs=1, batch_size=2, progress=False)


def _days(n, start="2020-01-01"):
    return pd.bdate_range(start, periods=n, name="Date")


def _csv(tmp_path, text, name="prices.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


# ---- the error classes ---------------------------------------------------------------------


def test_every_deliberate_error_shares_one_base_and_keeps_its_builtin_kind():
    assert issubclass(PriceDataError, InputError) and issubclass(InputError, ValueError)
    assert issubclass(DataUnavailableError, FinlstmError)
    assert issubclass(DataUnavailableError, RuntimeError)
    assert issubclass(TrainingDivergedError, FinlstmError)
    assert issubclass(TrainingDivergedError, FloatingPointError)


# ---- price frames ----------------------------------------------------------------------------


def test_text_that_is_not_a_number_names_the_column_row_and_value():
    frame = pd.DataFrame({"Close": ["1", "x", "3"]}, index=_days(3))
    with pytest.raises(PriceDataError, match=r"column 'Close' has 'x' at row 1 \(2020-01-02\)"):
        validate_prices(frame)


def test_numeric_text_is_read_as_numbers():
    frame = pd.DataFrame({"Close": ["1", "2.5", "3"]}, index=_days(3))
    assert validate_prices(frame)["Close"].tolist() == [1.0, 2.5, 3.0]


@pytest.mark.parametrize("infinity", [np.inf, -np.inf])
def test_inf_is_a_missing_value_like_nan(infinity):
    frame = pd.DataFrame({"Close": [1.0, infinity, 3.0]}, index=_days(3))
    with pytest.raises(PriceDataError, match=r"'Close' is missing a value at row 1 \(2020-01-02\)"):
        validate_prices(frame)
    assert validate_prices(frame, nan_policy="ffill")["Close"].tolist() == [1.0, 1.0, 3.0]
    assert validate_prices(frame, nan_policy="drop")["Close"].tolist() == [1.0, 3.0]


def test_inf_in_a_csv_names_the_line(tmp_path):
    path = _csv(tmp_path, "Date,Close\n2020-01-01,1\n2020-01-02,inf\n2020-01-03,3\n")
    with pytest.raises(PriceDataError, match=r"prices.csv: column 'Close' .* at line 3"):
        read_price_csv(path)


@pytest.mark.parametrize(
    ("bar", "message"),
    [
        ({"High": 9.0, "Low": 11.0, "Open": 10.0, "Close": 10.0}, r"High 9.0 is below Low 11.0"),
        ({"High": 11.0, "Low": 9.0, "Open": 10.0, "Close": 12.0}, r"Close 12.0 is outside"),
        ({"High": 11.0, "Low": 9.0, "Open": 8.0, "Close": 10.0}, r"Open 8.0 is outside"),
    ],
)
def test_impossible_bars_are_refused_naming_the_row(bar, message):
    good = {"High": 11.0, "Low": 9.0, "Open": 10.0, "Close": 10.0}
    frame = pd.DataFrame([good, bar, good], index=_days(3))
    with pytest.raises(PriceDataError, match=message + r".* at row 1 \(2020-01-02\)"):
        validate_prices(frame)


def test_a_long_calendar_gap_warns_naming_its_dates_unless_allowed(tmp_path):
    path = _csv(tmp_path, "Date,Close\n2000-01-03,1\n2000-01-04,2\n2015-06-01,3\n")
    with pytest.warns(CalendarGapWarning, match=r"between 2000-01-04 and 2015-06-01"):
        frame = read_price_csv(path)
    assert len(frame) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarGapWarning)
        read_price_csv(path, max_gap=None)
        read_price_csv(path, max_gap=5000)


def test_holidays_and_weekends_are_not_gaps():
    # 2019-12-24 to 2019-12-26 skips Christmas; 2001-09-10 to 2001-09-17 the longest closure.
    index = pd.DatetimeIndex(["2019-12-24", "2019-12-26", "2019-12-27", "2019-12-30"])
    frame = pd.DataFrame({"Close": [1.0, 2.0, 3.0, 4.0]}, index=index)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarGapWarning)
        validate_prices(frame)
        load_prices("sp500", start="2001-09-01", end="2001-09-30")


def test_dates_in_one_time_zone_keep_their_local_dates(tmp_path):
    path = _csv(tmp_path, "Date,Close\n2020-01-02T00:00+05:00,1\n2020-01-03T00:00+05:00,2\n")
    frame = read_price_csv(path)
    assert frame.index.tz is None
    assert list(frame.index.date.astype(str)) == ["2020-01-02", "2020-01-03"]


@pytest.mark.parametrize("second", ["2020-01-03T00:00+01:00", "2020-01-03"])
def test_mixed_time_zones_in_a_csv_name_the_line(tmp_path, second):
    path = _csv(tmp_path, f"Date,Close\n2020-01-02T00:00+05:00,1\n{second},2\n")
    with pytest.raises(PriceDataError, match=r"line 3: date .* time-zone offset .* line 2"):
        read_price_csv(path)


def test_mixed_time_zones_in_a_frame_are_named():
    index = pd.Index(
        [pd.Timestamp("2020-01-02", tz="UTC"), pd.Timestamp("2020-01-03", tz="Asia/Tokyo")]
    )
    with pytest.raises(PriceDataError, match="the dates mix time zones"):
        validate_prices(pd.DataFrame({"Close": [1.0, 2.0]}, index=index))


def test_a_row_with_too_many_fields_names_the_line(tmp_path):
    first = _csv(tmp_path, "Date,Close\n2020-01-01,1,9\n2020-01-02,2,3\n", "first.csv")
    with pytest.raises(PriceDataError, match=r"first.csv, line 2: more fields than the 2"):
        read_price_csv(first)
    later = _csv(tmp_path, "Date,Close\n2020-01-01,1\n2020-01-02,2,3\n", "later.csv")
    with pytest.raises(PriceDataError, match=r"not a readable CSV.*line 3"):
        read_price_csv(later)


def test_a_missing_date_is_called_missing(tmp_path):
    path = _csv(tmp_path, "Date,Close\n2020-01-01,1\n,2\n")
    with pytest.raises(PriceDataError, match=r"line 3: a missing date"):
        read_price_csv(path)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"start": "2010-13-45"}, r"start: '2010-13-45' is not a date"),
        ({"end": "tomorrow-ish"}, r"end: 'tomorrow-ish' is not a date"),
        ({"start": "2010-01-01", "end": "2009-01-01"}, r"start \(2010-01-01\) is after end"),
        ({"symbol": 123}, r"symbol must be a non-empty string, got 123"),
        ({"symbol": ""}, r"symbol must be a non-empty string"),
        ({"nan_policy": "zero"}, r"nan_policy must be one of \['raise', 'ffill', 'drop'\]"),
        ({"max_gap": -1}, r"max_gap must be at least 0"),
        ({"timeout": 0}, r"timeout must be a finite number > 0"),
    ],
)
def test_load_prices_names_a_bad_argument(arguments, message):
    with pytest.raises(InputError, match=message):
        load_prices(**arguments)


def test_read_price_csv_names_a_path_that_is_not_one(tmp_path):
    with pytest.raises(InputError, match="path must be a file path"):
        read_price_csv(123)
    with pytest.raises(PriceDataError, match="cannot be read"):
        read_price_csv(tmp_path)


# ---- arrays ----------------------------------------------------------------------------------


def _windows(samples=3, time=2, features=1):  # the shapes the property tests compile
    x = np.linspace(0, 1, samples * time * features, dtype=np.float32)
    return x.reshape(samples, time, features), np.linspace(0, 1, samples, dtype=np.float32)


def test_fit_with_an_empty_validation_set_says_so():
    x, y = _windows()
    with pytest.raises(InputError, match=r"val inputs has no samples"):
        fit(TINY, (x, y), (x[:0], y[:0]), ONE_EPOCH)


def test_fit_many_with_fewer_samples_than_a_batch_names_the_cause():
    x, y = _windows(samples=10)
    config = TrainConfig(epochs=1, batch_size=16, progress=False)
    with pytest.raises(InputError, match=r"model 0 train has 10 samples, fewer than one batch"):
        fit_many(TINY, x[None], y[None], config)


@pytest.mark.parametrize(
    ("train", "message"),
    [
        ((np.full((4, 3, 1), "a"), np.zeros(4)), r"train inputs must hold real numbers"),
        ((np.zeros((4, 3, 1)), np.zeros((4, 1))), r"train targets must have 1 dimension,"),
        ((np.zeros((4, 0, 1)), np.zeros(4)), r"train inputs has no time steps"),
        ([np.zeros((4, 3, 1))], r"train must be a pair \(inputs, targets\)"),
    ],
)
def test_fit_names_a_bad_training_set(train, message):
    x, y = _windows()
    with pytest.raises(InputError, match=message):
        fit(TINY, train, (x, y), ONE_EPOCH)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (TrainConfig(batch_size=0, progress=False), r"config.batch_size must be at least 1"),
        (TrainConfig(epochs=2.5, progress=False), r"config.epochs must be a whole number"),
        (TrainConfig(seed=2**32, progress=False), r"config.seed must be at most 4294967295"),
        (TrainConfig(learning_rate=float("nan"), progress=False), r"learning_rate must be a"),
        ({"epochs": 1}, r"config must be a TrainConfig"),
    ],
)
def test_fit_names_a_bad_config(config, message):
    x, y = _windows()
    with pytest.raises(InputError, match=message):
        fit(TINY, (x, y), (x, y), config)


def test_predict_refuses_zero_rows_and_nan_naming_the_sample():
    x, y = _windows()
    params = fit(TINY, (x, y), (x, y), ONE_EPOCH).params
    with pytest.raises(InputError, match=r"x has no samples"):
        predict(TINY, params, x[:0])
    bad = x.copy()
    bad[2, 1, 0] = np.nan
    with pytest.raises(InputError, match=r"x contain NaN or inf, first in sample 2"):
        predict(TINY, params, bad)
    with pytest.raises(InputError, match=r"x contain NaN or inf, first in model 0"):
        predict_many(TINY, params, bad[None])


def test_train_many_names_a_bad_step_count():
    with pytest.raises(InputError, match=r"steps must be at least 1, got 0"):
        train_many(lambda k: {}, lambda p, k: 0.0, jax.random.split(jax.random.key(0), 2),
                   steps=0, optimizer=None)  # fmt: skip


def test_make_windows_lets_nan_through_but_not_inf_or_text():
    features = np.arange(8.0)
    features[0] = np.nan  # a warm-up row
    windows = make_windows(features, np.arange(8.0), window=2)
    assert np.isnan(windows.inputs[0, 0, 0]) and np.isfinite(windows.inputs[1:]).all()
    features[3] = np.inf
    with pytest.raises(
        InputError, match=r"features contain inf or a value beyond float32, first in row 3"
    ):
        make_windows(features, np.arange(8.0), window=2)
    with pytest.raises(InputError, match=r"target must hold real numbers"):
        make_windows(np.arange(8.0), np.array(list("abcdefgh")), window=2)
    with pytest.raises(InputError, match=r"window must be a whole number, got 2.5"):
        make_windows(np.arange(8.0), np.arange(8.0), window=2.5)


# ---- properties: arbitrary input gives a valid result or the library's error -----------------


def _assert_valid_prices(frame):
    assert isinstance(frame.index, pd.DatetimeIndex) and frame.index.tz is None
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert all(dtype == np.float64 for dtype in frame.dtypes)
    assert np.isfinite(frame.to_numpy()).all()
    assert len(frame) >= 2


CSV_PIECES = st.sampled_from(
    ["Date", "Close", "High", "Low", "Open", "Volume", ",", "\n", "2020-01-0", "1", "2", "-",
     ".", "e", "inf", "nan", "+05:00", "T00:00", " ", '"', "x", "\r"]
)  # fmt: skip


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.one_of(st.binary(max_size=200), st.lists(CSV_PIECES, max_size=60).map("".join)))
def test_any_csv_gives_valid_prices_or_a_price_data_error(tmp_path, data):
    path = tmp_path / "any.csv"
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarGapWarning)
        try:
            frame = read_price_csv(path, nan_policy="drop")
        except PriceDataError:
            event("read_price_csv refused the file")
            return
    event("read_price_csv read the file")
    _assert_valid_prices(frame)


CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**70), 2**70),
    st.text(max_size=3),
    st.booleans(),
    st.none(),
)
INDEXES = st.one_of(
    st.lists(st.datetimes(), max_size=6).map(pd.DatetimeIndex),
    st.lists(st.dates(), max_size=6).map(pd.Index),
    st.lists(st.integers(), max_size=6).map(pd.Index),
)


@settings(max_examples=150, deadline=None)
@given(
    index=INDEXES,
    columns=st.lists(st.sampled_from(["Open", "High", "Low", "Close", "Volume", "x"]), max_size=4),
    data=st.data(),
    nan_policy=st.sampled_from(["raise", "ffill", "drop"]),
)
def test_any_frame_gives_valid_prices_or_a_price_data_error(index, columns, data, nan_policy):
    cells = {
        c: data.draw(st.lists(CELLS, min_size=len(index), max_size=len(index))) for c in columns
    }
    frame = pd.DataFrame(cells, index=index, columns=columns, dtype=object)
    if data.draw(st.booleans()):
        frame = frame.infer_objects()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarGapWarning)
        try:
            result = validate_prices(frame, nan_policy=nan_policy)
        except PriceDataError:
            event("validate_prices refused the frame")
            return
    event("validate_prices passed the frame")
    _assert_valid_prices(result)


SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)
ARRAYS = st.one_of(
    hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.bool_]), SHAPES),
    hnp.arrays(np.dtype("U1"), SHAPES),
    st.lists(st.floats(), max_size=4),
    st.none(),
)
SIZES = st.one_of(st.integers(-2, 6), st.floats(-1, 6), st.none(), st.booleans())


@settings(max_examples=200, deadline=None)
@given(features=ARRAYS, target=ARRAYS, window=SIZES, horizon=SIZES)
def test_make_windows_gives_windows_or_an_input_error(features, target, window, horizon):
    try:
        windows = make_windows(features, target, window=window, horizon=horizon)
    except InputError:
        event("make_windows refused the input")
        return
    event("make_windows cut windows")
    assert windows.inputs.shape[:2] == (len(windows.targets), window)


# Shapes that train are few (2 or 3 samples of 2 steps of 1 feature, batch 2), so that each
# compiles once and the test stays fast; half the examples are spoiled in one of these ways.
SPOILERS = st.one_of(
    st.none(),
    st.sampled_from(
        ["no samples", "no steps", "no features", "nan", "inf", "text", "extra axis",
         "short targets", "batch 0", "batch -1", "no validation"]
    ),
)  # fmt: skip


def _task(samples, how):
    """(train inputs, train targets, val pair, config), spoiled as `how` says."""
    x = np.linspace(-1, 1, samples * 2, dtype=np.float32).reshape(samples, 2, 1)
    y = x.sum(axis=(1, 2))
    val, batch_size = (x[:2], y[:2]), 2
    if how == "no samples":
        x, y = x[:0], y[:0]
    elif how == "no steps":
        x = x[:, :0]
    elif how == "no features":
        x = x[..., :0]
    elif how == "nan":
        x = x.copy()
        x[-1, -1, 0] = np.nan
    elif how == "inf":
        y = y.copy()
        y[0] = np.inf
    elif how == "text":
        x = x.astype(str)
    elif how == "extra axis":
        x = x[..., None]
    elif how == "short targets":
        y = y[:-1]
    elif how in ("batch 0", "batch -1"):
        batch_size = int(how.split()[1])
    elif how == "no validation":
        val = (x[:0], y[:0])
    return x, y, val, TrainConfig(epochs=1, batch_size=batch_size, progress=False)


@settings(max_examples=20, deadline=None)
@given(samples=st.sampled_from([2, 3]), how=SPOILERS)
def test_fit_and_predict_give_results_or_an_input_error(samples, how):
    x, y, val, config = _task(samples, how)
    try:
        result = fit(TINY, (x, y), val, config)
    except FinlstmError:
        event("fit refused the input")
        return
    event("fit trained")
    assert np.isfinite(predict(TINY, result.params, x)).all()


@settings(max_examples=8, deadline=None)
@given(how=SPOILERS, models=st.sampled_from([0, 1]))
def test_fit_many_gives_results_or_an_input_error(how, models):
    x, y, _, config = _task(2, how)
    stacked_x = np.stack([x] * models) if models else np.zeros((0, *x.shape))
    stacked_y = np.stack([y] * models) if models else np.zeros((0, *y.shape))
    try:
        params, losses = fit_many(TINY, stacked_x, stacked_y, config)
    except FinlstmError:
        event("fit_many refused the input")
        return
    event("fit_many trained")
    assert losses.shape == (models, 1)
    assert predict_many(TINY, params, stacked_x).shape == (models, len(x), 1)
