# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A price model and its baseline
#
# **The question.** The course model (LSTM 128 → LSTM 64 → Dense 25 → Dense 1) is the one
# most LSTM stock-prediction tutorials train. Trained honestly on real S&P 500 data, does
# it forecast tomorrow's close better than the simplest possible rule, "tomorrow = today"?
#
# Along the way we build the pipeline of Module 3 step by step, and measure what goes wrong
# when the scaler is fitted on all the data instead of the training part.

# %%
import os

import numpy as np
from scipy.stats import binomtest

from finlstm import plots
from finlstm.baselines import persistence
from finlstm.data import load_prices
from finlstm.lstm import ModelConfig, StackedLSTM, count_params
from finlstm.metrics import directional_accuracy, majority_rate, rmse
from finlstm.prep import MinMaxScaler, chronological_split, make_windows
from finlstm.train import TrainConfig, fit, predict

SEED, WINDOW, HORIZON = 0, 60, 1
# Course defaults (Adam 1e-3, batch 64), with at most 15 epochs and a patience of 4 so that
# the three trainings of this lesson stay within a minute or two on a laptop CPU.
TRAIN = TrainConfig(
    epochs=15,
    batch_size=64,
    learning_rate=1e-3,
    patience=4,
    seed=SEED,
    progress=False,
)

# %% [markdown]
# ## The data
#
# The lesson runs offline on the S&P 500 index bundled with the `arch` package. With
# network access, set `FINLSTM_ONLINE=1` to download any ticker with yfinance instead; if the
# download fails, `load_prices` warns and falls back to the bundled data. Either way, the
# lesson prints which source it used.

# %%
if os.environ.get("FINLSTM_ONLINE") == "1":
    prices = load_prices(
        "AAPL", online=True, start="2005-01-01"
    )  # cached after the first run
else:
    prices = load_prices("sp500")
close = prices["Close"].to_numpy()
print("source:", prices.attrs["source"])
print(
    f"{len(prices)} trading days, {prices.index[0].date()} to {prices.index[-1].date()}"
)

# %% [markdown]
# ## A chronological split, and a scaler that sees only the past
#
# 70% of the days for training, the next 15% for validation (early stopping), the last 15%
# for the test. The scaler's minimum and maximum come from the training days only.

# %%
bounds = chronological_split(len(close), train=0.70, val=0.15)
dates = prices.index
for name, part in (
    ("train", bounds.train),
    ("validation", bounds.val),
    ("test", bounds.test),
):
    print(
        f"{name:>10}: {dates[part][0].date()} to {dates[part][-1].date()}, {len(close[part])} days"
    )
scaler = MinMaxScaler.fit(close[bounds.train])
scaled = scaler.transform(close)
leaky = MinMaxScaler.fit(
    close
)  # the mistake: statistics from every day, test included
for name, values in (
    ("train-only scaler", scaled),
    ("scaler fitted on all days", leaky.transform(close)),
):
    test = values[bounds.test]
    print(f"{name:>26}: test values from {test.min():.3f} to {test.max():.3f}")

# %% [markdown]
# With the honest scaler, the test period's prices fall *outside* $[0, 1]$: the index
# reached levels after 2015 that the training years never saw. That is the real situation
# a forecaster faces. The leaky scaler hides it by squeezing the future into $[0, 1]$
# using a maximum that nobody knew at the time.
#
# ## Windows of 60 days
#
# Each sample is 60 consecutive scaled closes; its target is the next day's scaled close.
# A window belongs to the part of the split that holds its target day.


# %%
def windows_by_part(series):
    windows = make_windows(series, series, window=WINDOW, horizon=HORIZON)
    return (
        windows.select(0, bounds.train_end),
        windows.select(bounds.train_end, bounds.val_end),
        windows.select(bounds.val_end, bounds.n_rows),
    )


train, val, test = windows_by_part(scaled)
print("train inputs:", train.inputs.shape, "(samples, timesteps, features)")
print("val inputs:  ", val.inputs.shape, "  test inputs:", test.inputs.shape)

# %% [markdown]
# ## The course model, trained with early stopping
#
# The stacked model from Module 3, in Flax, trained with Adam on the mean squared error.
# Early stopping watches the validation loss (never the test set) and keeps the best epoch.

# %%
model = StackedLSTM(
    ModelConfig(hidden_sizes=(128, 64), dense_size=25, dropout=0.2)
)
result = fit(
    model, (train.inputs, train.targets), (val.inputs, val.targets), TRAIN
)
print(
    f"{count_params(result.params):,} parameters; {len(result.history['train_loss'])} epochs, "
    f"best validation loss at epoch {result.best_epoch}"
)


# %%
def draw_losses(fig):
    ax = fig.add_subplot()
    epochs = np.arange(1, len(result.history["train_loss"]) + 1)
    ax.plot(
        epochs, result.history["train_loss"], marker="o", label="training loss"
    )
    ax.plot(
        epochs, result.history["val_loss"], marker="o", label="validation loss"
    )
    ax.axvline(
        result.best_epoch,
        color="gray",
        linestyle=":",
        label="kept (best validation)",
    )
    ax.set(
        title="Training and validation loss, S&P 500 closes",
        xlabel="epoch",
        ylabel="mean squared error (scaled units)",
        yscale="log",
    )
    ax.legend()


plots.show(
    draw_losses,
    alt="Training and validation loss per epoch, with the kept epoch marked.",
)

# %% [markdown]
# These are the real curves of the run above. The validation loss sits far above the
# training loss: the validation years lie above the training range, where the network has
# never been fitted.
#
# ## Test predictions beside naive persistence
#
# Predictions are scaled back to index points. The baseline is persistence: tomorrow's
# close equals today's, the forecast of a random walk.

# %%
predicted = scaler.inverse_transform(
    predict(model, result.params, test.inputs)[:, 0], feature=0
)
actual = close[test.target_rows]
naive = persistence(close, test.target_rows, HORIZON)
today = close[test.target_rows - HORIZON]
scores = {
    "RMSE (index points)": (rmse(actual, predicted), rmse(actual, naive)),
    "directional accuracy": (
        directional_accuracy(actual - today, predicted - today),
        majority_rate(actual - today),
    ),
}
print(f"{'test period':<24}{'LSTM':>10}{'baseline':>10}")
for name, (model_score, baseline_score) in scores.items():
    print(f"{name:<24}{model_score:>10.3f}{baseline_score:>10.3f}")
print(
    f"RMSE / persistence RMSE: {scores['RMSE (index points)'][0] / scores['RMSE (index points)'][1]:.3f}"
    "  (below 1 would beat the random walk)"
)
print("(directional baseline: always predict the more common direction)")


# %%
def draw_predictions(fig):
    ax = fig.add_subplot()
    last = slice(-120, None)
    ax.plot(
        dates[test.target_rows][last],
        actual[last],
        label="actual close",
        linewidth=2,
    )
    ax.plot(
        dates[test.target_rows][last], predicted[last], label="LSTM prediction"
    )
    ax.plot(
        dates[test.target_rows][last],
        naive[last],
        label="persistence (yesterday's close)",
        linestyle="--",
    )
    ax.set(
        title="Last 120 test days: S&P 500 close and next-day forecasts",
        xlabel="date",
        ylabel="index points",
    )
    ax.legend()


plots.show(
    draw_predictions,
    alt="Actual S&P 500 closes, the LSTM's forecasts and persistence over the last 120 test days.",
)

# %% [markdown]
# ## The lagging prediction
#
# A chart like this one looks convincing: the forecast hugs the actual price. But a
# forecast that hugs yesterday's price does the same. The test: is each prediction closer to
# the day it forecasts, or to the day before?

# %%
previous_day = close[test.target_rows - 1]
print(
    f"RMSE of the prediction against the day it forecasts: {rmse(actual, predicted):8.2f}"
)
print(
    f"RMSE of the prediction against the previous day:     {rmse(previous_day, predicted):8.2f}"
)
corr_now = np.corrcoef(np.diff(predicted), np.diff(actual))[0, 1]
corr_lag = np.corrcoef(np.diff(predicted)[1:], np.diff(actual)[:-1])[0, 1]
print(
    f"correlation of daily changes, prediction vs same day:     {corr_now:+.3f}"
)
print(
    f"correlation of daily changes, prediction vs previous day: {corr_lag:+.3f}"
)

# %% [markdown]
# If the prediction is closer to the previous day than to the day it forecasts, and its
# daily moves follow *yesterday's* move rather than today's, the model has mostly learned
# "tomorrow ≈ today" (plus a distortion from prices outside the training range). A low RMSE
# on price levels says little: every level forecast inherits most of its accuracy from the
# fact that prices move little in a day.
#
# ## What the leaky scaler does to the score
#
# Same model, same seed, same training, but with the scaler fitted on every day.

# %%
leaky_scaled = leaky.transform(close)
leaky_train, leaky_val, leaky_test = windows_by_part(leaky_scaled)
leaky_result = fit(
    model,
    (leaky_train.inputs, leaky_train.targets),
    (leaky_val.inputs, leaky_val.targets),
    TRAIN,
)
leaky_predicted = leaky.inverse_transform(
    predict(model, leaky_result.params, leaky_test.inputs)[:, 0], feature=0
)
print(f"test RMSE, honest scaler: {rmse(actual, predicted):8.2f}")
print(f"test RMSE, leaky scaler:  {rmse(actual, leaky_predicted):8.2f}")
print(f"persistence:              {rmse(actual, naive):8.2f}")

# %% [markdown]
# The scaler fitted on all days knew the future range of the index; the model trained with
# it was never asked to forecast outside what it had seen. Whatever the difference printed
# above, it is information from the test period leaking into training, and a published
# result built this way would not survive real use.
#
# ## The same model on returns
#
# Returns instead of prices: the network sees 60 days of daily log returns and predicts the
# next one. There is no price level to copy, so persistence no longer hides in the score;
# the honest question becomes whether it gets the *direction* right more often than always
# guessing the more common direction.

# %%
log_returns = np.diff(
    np.log(close)
)  # log_returns[i] is the return from day i to day i + 1
ret_bounds = chronological_split(len(log_returns))
ret_scaler = MinMaxScaler.fit(log_returns[ret_bounds.train])
ret_scaled = ret_scaler.transform(log_returns)
ret_windows = make_windows(
    ret_scaled, ret_scaled, window=WINDOW, horizon=HORIZON
)
r_train, r_val, r_test = (
    ret_windows.select(a, b)
    for a, b in (
        (0, ret_bounds.train_end),
        (ret_bounds.train_end, ret_bounds.val_end),
        (ret_bounds.val_end, ret_bounds.n_rows),
    )
)
ret_result = fit(
    model,
    (r_train.inputs, r_train.targets),
    (r_val.inputs, r_val.targets),
    TRAIN,
)
ret_pred = ret_scaler.inverse_transform(
    predict(model, ret_result.params, r_test.inputs)[:, 0], feature=0
)
ret_actual = log_returns[r_test.target_rows]
print(f"{'test period':<28}{'LSTM':>10}{'baseline':>10}")
print(
    f"{'RMSE (log return)':<28}{rmse(ret_actual, ret_pred):>10.5f}{rmse(ret_actual, np.zeros_like(ret_actual)):>10.5f}"
    "   (baseline: predict 0)"
)
print(
    f"{'directional accuracy':<28}{directional_accuracy(ret_actual, ret_pred):>10.3f}{majority_rate(ret_actual):>10.3f}"
    "   (baseline: majority direction)"
)
print(f"share of 'up' predictions: {np.mean(ret_pred > 0):.3f}")
# Could the accuracy come from guessing at the majority rate? One-sided binomial test
# on the number of days whose direction was right.
hits = int(np.sum((ret_actual > 0) == (ret_pred > 0)))
majority_days = round(majority_rate(ret_actual) * len(ret_actual))
chance = binomtest(
    hits,
    len(ret_actual),
    majority_days / len(ret_actual),
    alternative="greater",
)
print(
    f"p-value of {hits} hits in {len(ret_actual)} days against the majority "
    f"direction's {majority_days}: {chance.pvalue:.3f}"
)

# %% [markdown]
# ## What this lesson measured
#
# * On price levels, the printed RMSE ratio to persistence is the figure that matters; a
#   value at or above 1 means the course model did not beat "tomorrow = today" on the test
#   years, and the lag test shows how much of its apparent fit is yesterday's price.
# * A scaler fitted on all days squeezes the test period into $[0, 1]$ and changes the
#   score with knowledge from the future: always fit on training rows only.
# * On returns, compare directional accuracy with the majority rate printed beside it, not
#   with 50%: markets rise on more days than they fall, so always guessing "up" is the bar.
#   The binomial p-value says whether the difference is larger than chance would give a
#   forecaster who is right at the majority rate: above 0.05, it is not.
#
# Nothing here was tuned to make the LSTM look better: these are the course defaults, one
# seed, and the numbers above are what they gave.
#
# **Exercises.** (1) Change `SEED` and rerun: which conclusions survive? (2) Add the five
# OHLCV columns as features. (3) Forecast 5 days ahead (`HORIZON = 5`): does persistence get
# easier or harder to beat?
#
# ## Key terms
#
# The eight terms of this lesson, also the flashcards of Module 3:
#
# | term | meaning |
# |---|---|
# | sliding window | a fixed number of consecutive past rows (here 60 days) used as one input sample, labelled with a value after its last row |
# | min-max scaling | mapping each feature to $[0, 1]$ with $(x - \min)/(\max - \min)$, the minimum and maximum taken from training rows only |
# | look-ahead bias | using information at training or decision time that was not available then, such as a scaler fitted on future prices |
# | chronological split | train, validation and test as consecutive blocks of time, oldest first, never shuffled across the boundaries |
# | full-sequence output | a recurrent layer returning its hidden state at every step (Keras: `return_sequences=True`), needed to stack another recurrent layer on top |
# | dropout | zeroing a random fraction of activations during training only, so the network cannot rely on any single unit |
# | early stopping | ending training when the validation loss has not improved for a set number of epochs (patience) and keeping the best epoch |
# | naive persistence | the forecast "tomorrow equals today"; the random-walk benchmark every price forecast must beat |

# %% [markdown]
# ## Try it
#
# **1. A longer horizon.** Predict first: if the forecast is for 5 trading
# days ahead instead of 1, how much larger is persistence's error, and what does
# that do to a model's chance of beating it? Compute persistence's RMSE at
# horizon 5 on the same test days. *What to look for:* for a random walk the
# error grows like $\sqrt{h}$, so the ratio should be near $\sqrt{5}$.

# %% tags=["exercise-solution"]
naive_5 = persistence(close, test.target_rows, 5)
rmse_1 = float(np.sqrt(np.mean((actual - naive) ** 2)))
rmse_5 = float(np.sqrt(np.mean((actual - naive_5) ** 2)))

# %% tags=["exercise-check"]
print(f"persistence RMSE, 1 day: {rmse_1:.2f}; 5 days: {rmse_5:.2f}")
print(f"ratio {rmse_5 / rmse_1:.2f}, sqrt(5) = {5**0.5:.2f}:", end=" ")
print("correct" if rmse_5 > rmse_1 else "not yet: use horizon 5 for naive_5")

# %% [markdown]
# **2. Outside the scaler's range.** Predict first: what share of the test
# days' closes lies above 1 on the honest scaler's scale, a range the model
# never saw in training? *What to look for:* a share near 1 means the model is
# asked to extrapolate on almost every test day.

# %% tags=["exercise-solution"]
above_one = float(np.mean(scaled[bounds.val_end :] > 1))
print(f"test closes above the training maximum: {above_one:.1%}")

# %% [markdown]
# **3. Another seed.** Change `SEED` in the first code cell and rerun the
# lesson. Predict first: which conclusions survive, the RMSE ratio to
# persistence or the lag? *What to look for:* a conclusion that flips with the
# seed was never a conclusion.
