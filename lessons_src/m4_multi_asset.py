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
# # A multi-asset signal with attention
#
# **The question.** The pipeline of Module 4: technical features of three
# markets (the S&P 500, the NASDAQ Composite and WTI crude oil), scaled per
# asset on the training years, an LSTM encoder, attention over the days of the
# window, and a softmax over Buy / Hold / Sell for the S&P 500's next 5 days.
# Does it classify better than always predicting the most common class, and
# where does its attention go?

# %%
import numpy as np
import pandas as pd
from scipy.stats import binomtest

from finlstm import facts, plots
from finlstm.data import load_prices
from finlstm.devices import enable_compilation_cache, use_cpu_cores
from finlstm.features import add_features
from finlstm.models import AttentionLSTM, ModelConfig
from finlstm.prep import MinMaxScaler, chronological_split, make_windows
from finlstm.train import TrainConfig, fit, predict

use_cpu_cores()  # one XLA device per CPU core, before JAX starts (see the JAX primer)
enable_compilation_cache()  # compiled programs kept on disk (see the JAX primer)

WINDOW, HORIZON = 30, 5
CLASSES = ("Sell", "Hold", "Buy")
TRAIN = TrainConfig(
    epochs=30, patience=5, loss="cross_entropy", progress=False, seed=0
)
MODEL = AttentionLSTM(
    ModelConfig(hidden_sizes=(32,), dense_size=16, output_size=3, dropout=0.2),
    attention_units=16,
)

# %% [markdown]
# ## Three markets, one calendar
#
# The bundled WTI series has closing prices only, so every asset gets the
# features that need only closes: log return, 21-day volatility, RSI, MACD
# (three columns) and Bollinger %b and bandwidth. Days are kept when all three
# markets traded.

# %%
assets = {name: load_prices(name) for name in ("sp500", "nasdaq", "wti")}
for name, frame in assets.items():
    print(f"{name:>6}: {frame.attrs['source']}")
features = pd.concat(
    {name: add_features(frame[["Close"]]) for name, frame in assets.items()},
    axis=1,
    join="inner",
).dropna()
close = assets["sp500"]["Close"].loc[features.index]
print(
    f"{len(features)} common days, {features.index[0].date()} to "
    f"{features.index[-1].date()}; {features.shape[1]} features"
)

# %% [markdown]
# ## Labels with thresholds from the training years
#
# The label of day $t$ is the S&P 500's log return over the next 5 days, cut
# into three classes at the training period's lower and upper terciles, so
# the classes are equally common in training. The cut points are fitted on
# training days only, like any other statistic.

# %%
log_close = np.log(close.to_numpy())
forward = np.full(len(close), np.nan)
forward[:-HORIZON] = log_close[HORIZON:] - log_close[:-HORIZON]
bounds = chronological_split(len(features))
# A label needs 5 future days: purge the last HORIZON days of train and val.
train_rows = np.arange(bounds.train_end - HORIZON)
low, high = np.quantile(forward[train_rows], [1 / 3, 2 / 3])
labels = np.where(forward < low, 0, np.where(forward > high, 2, 1)).astype(
    float
)
print(f"cut points: {low:+.4f} and {high:+.4f} (5-day log return)")

# %% [markdown]
# ## Per-asset scaling, windows, training
#
# `MinMaxScaler` scales every column with its own training minimum and
# maximum, so each asset's features are scaled with that asset's history.

# %%
scaler = MinMaxScaler.fit(features.to_numpy()[: bounds.train_end])
scaled = scaler.transform(features.to_numpy())
# The window ending at day t is labelled with labels[t], the class of days
# t+1 .. t+5: shifted by one row, make_windows' target row is then t + 1, the
# first day of the labelled period. Windows whose 5 days cross into the next
# part are dropped (purged).
shifted = np.concatenate([[np.nan], labels[:-1]])
windows = make_windows(scaled, np.nan_to_num(shifted), window=WINDOW)
n = len(close)
train = windows.select(0, bounds.train_end - HORIZON + 1)
val = windows.select(bounds.train_end, bounds.val_end - HORIZON + 1)
test = windows.select(bounds.val_end, n - HORIZON + 1)
print("train", train.inputs.shape, " val", val.inputs.shape)
print("test ", test.inputs.shape, "(samples, timesteps, features)")
for name, part in (("train", train), ("test", test)):
    shares = np.bincount(part.targets.astype(int), minlength=3) / len(part)
    print(
        f"{name:>5} class shares: "
        + ", ".join(
            f"{c} {v:.1%}" for c, v in zip(CLASSES, shares, strict=True)
        )
    )
result = fit(
    MODEL, (train.inputs, train.targets), (val.inputs, val.targets), TRAIN
)
print(f"{len(result.history['val_loss'])} epochs, best at {result.best_epoch}")

# %% [markdown]
# ## Against the simplest classifiers
#
# Two baselines: always the class that was most common in training, and the
# training class shares as constant probabilities (for the log loss).

# %%
logits = predict(MODEL, result.params, test.inputs)
probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
probabilities /= probabilities.sum(axis=1, keepdims=True)
predicted = probabilities.argmax(axis=1)
actual = test.targets.astype(int)
train_shares = np.bincount(train.targets.astype(int), minlength=3) / len(train)
most_common = int(train_shares.argmax())


def multiclass_log_loss(p):
    return float(
        -np.mean(np.log(np.clip(p[np.arange(len(actual)), actual], 1e-7, 1)))
    )


table = pd.DataFrame(
    {
        "accuracy": [
            np.mean(predicted == actual),
            np.mean(actual == most_common),
        ],
        "log loss": [
            multiclass_log_loss(probabilities),
            multiclass_log_loss(np.tile(train_shares, (len(actual), 1))),
        ],
    },
    index=["attention LSTM", f"always '{CLASSES[most_common]}'"],
)
with pd.option_context("display.float_format", "{:.3f}".format):
    print(table)
confusion = pd.crosstab(
    pd.Series([CLASSES[a] for a in actual], name="actual"),
    pd.Series([CLASSES[p] for p in predicted], name="predicted"),
)
print(confusion)
hits = int(np.sum(predicted == actual))
chance = binomtest(
    hits,
    len(actual),
    float(np.mean(actual == most_common)),
    alternative="greater",
)
print(
    f"binomial p-value against always '{CLASSES[most_common]}': {chance.pvalue:.4f}"
)

# %% [markdown]
# ## Where the attention goes
#
# `AttentionLSTM` stores its attention weights (one per day of the window,
# summing to 1) with Flax's `sow`; `mutable=["intermediates"]` returns them.

# %%
_, state = MODEL.apply(
    {"params": result.params},
    test.inputs,
    mutable=["intermediates"],
)
weights = np.asarray(state["intermediates"]["attention_weights"][0])
print("weights", weights.shape, "(test days, window days)")
last_days = weights[-10:]
lags = np.arange(WINDOW - 1, -1, -1)  # days before the forecast day


def draw_attention(fig):
    top, bottom = fig.subplots(2, 1, height_ratios=(3, 2))
    image = top.imshow(last_days, aspect="auto", cmap="viridis")
    top.set(
        title="Attention over the 30-day window, last 10 test days",
        xlabel="days before the forecast day",
        ylabel="test day",
        xticks=range(0, WINDOW, 5),
        xticklabels=lags[::5],
        yticks=range(10),
        yticklabels=[
            d.strftime("%Y-%m-%d")
            for d in features.index[test.target_rows[-10:]]
        ],
    )
    top.tick_params(axis="y", labelsize=7)
    fig.colorbar(image, ax=top, label="attention weight")
    bottom.plot(lags, weights.mean(axis=0), marker=".")
    bottom.axhline(1 / WINDOW, color="gray", linestyle=":", label="uniform")
    bottom.set(
        title="Mean attention by lag, all test days",
        xlabel="days before the forecast day",
        ylabel="mean weight",
    )
    bottom.invert_xaxis()
    bottom.legend()


plots.show(
    draw_attention,
    alt="Heat map of attention weights over the 30 days of the window for the "
    "last 10 test days, and the mean weight per lag over all test days.",
    figsize=(9.0, 6.5),
)

# %% [markdown]
# ## What this lesson measured

# %%
gain = table.iloc[0]["accuracy"] - table.iloc[1]["accuracy"]
loss_gain = table.iloc[1]["log loss"] - table.iloc[0]["log loss"]
print(
    f"accuracy {table.iloc[0]['accuracy']:.3f} against "
    f"{table.iloc[1]['accuracy']:.3f} for always '{CLASSES[most_common]}' "
    f"({gain:+.3f}); log loss better by {loss_gain:+.3f} nats"
)
calls = predicted != 1
print(
    f"'Hold' predicted on {np.mean(predicted == 1):.0%} of test days; "
    f"of its {int(calls.sum())} Buy or Sell calls, "
    f"{np.mean(predicted[calls] == actual[calls]):.0%} were right"
)
print(
    f"largest mean attention at {lags[weights.mean(axis=0).argmax()]} days "
    f"before the forecast; uniform would be {1 / WINDOW:.3f} per day, "
    f"the largest mean weight is {weights.mean(axis=0).max():.3f}"
)
train_hold = float(train_shares[1])
test_hold = float(np.mean(actual == 1))
facts.record("train_hold_share", train_hold)
facts.record("test_hold_share", test_hold)
facts.record("accuracy", table.iloc[0]["accuracy"])
facts.record("baseline_accuracy", table.iloc[1]["accuracy"])
facts.record("baseline_class", CLASSES[most_common])
facts.record("binomial_p", chance.pvalue)
facts.verdict(
    "hold_verdict",
    test_hold > train_hold,
    when_true=f'"Hold" (a small 5-day move) labels {test_hold:.0%} of the test days against '
    f"{train_hold:.0%} of the training days: the test years were calmer than the training "
    "years.",
    when_false=f'"Hold" (a small 5-day move) labels {test_hold:.0%} of the test days, no '
    f"more than the {train_hold:.0%} of the training days: the test years were not calmer.",
)
facts.verdict(
    "accuracy_verdict",
    chance.pvalue < 0.05,
    when_true=f"The model's accuracy, {table.iloc[0]['accuracy']:.3f}, beats always "
    f"'{CLASSES[most_common]}' ({table.iloc[1]['accuracy']:.3f}) by more than chance "
    f"(binomial p = {chance.pvalue:.4f}).",
    when_false=f"The model's accuracy, {table.iloc[0]['accuracy']:.3f}, does not beat always "
    f"'{CLASSES[most_common]}' ({table.iloc[1]['accuracy']:.3f}) by more than chance "
    f"(binomial p = {chance.pvalue:.4f}).",
)

# %% [markdown]
# {{ fact("accuracy_verdict") }}
#
# How to read this. {{ fact("hold_verdict") }} A model can gain accuracy by recognising
# *calm* weeks from
# the volatility features, which is volatility forecasting, not a view on
# direction: look at the confusion table and at how often its Buy and Sell
# calls were right before reading the accuracy as a trading signal. This lesson
# does not trade the signal, and Module 4's backtest lesson trades a different,
# single-asset direction model: whether these Buy, Hold and Sell calls survive
# trading costs is untested here (question 4 under "Going further"). The attention heat map
# shows where this model looked; it is one seed of one architecture, and
# attention weights are known to vary between equally good models (Jain &
# Wallace 2019), so treat it as a description, not an explanation.
#
# **Going further** (open questions, beyond the Try-it tasks below). (1) Drop WTI: does the accuracy change? (2) Use per-asset
# returns only (three features). (3) Train three seeds and compare their
# attention maps. (4) Trade the signal with `finlstm.backtest.backtest`
# (Buy = long, Sell = short, Hold = flat) after costs, beside buy-and-hold.
#
# **References.** Bahdanau, Cho & Bengio (2015), *ICLR*. Jain & Wallace (2019),
# *NAACL*. Wilder (1978), *New Concepts in Technical Trading Systems*.

# %% [markdown]
# ## Try it
#
# **1. Attention weights are an average.** Predict first: what do the
# attention weights of one test day sum to, and can one of them be negative?
# Compute each day's sum and smallest weight, then run the check. *What to look
# for:* a softmax makes the head's input a weighted average of the hidden
# states, which is why the weights say where, not why.

# %% tags=["exercise-solution"]
day_sums = weights.sum(axis=-1)
smallest = float(weights.min())

# %% tags=["exercise-check"]
print(f"sums from {day_sums.min():.6f} to {day_sums.max():.6f};", end=" ")
print(f"smallest weight {smallest:.2e}:", end=" ")
ok = np.allclose(day_sums, 1.0, atol=1e-5) and smallest >= 0
print("correct" if ok else "not yet: sum over the window axis")

# %% [markdown]
# **2. Thresholds from the training years.** Predict first: the Sell / Hold /
# Buy thresholds are the training years' terciles; are the test labels still
# one third each? *What to look for:* how far the test shares drift from 1/3,
# and what that does to the "most common class" baseline.

# %% tags=["exercise-solution"]
test_shares = np.bincount(actual, minlength=3) / len(actual)
print(
    {c: round(float(s), 3) for c, s in zip(CLASSES, test_shares, strict=True)}
)
