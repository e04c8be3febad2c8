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
# # A walk-forward backtest after costs
#
# **The question.** One train/test split gives one number from one period. A
# walk-forward backtest refits the model again and again on the past and
# trades the next block, the way it would have been used. If an LSTM direction
# signal for the S&P 500 is traded from 2011 to 2018, with positions taken the
# day after each signal and 5 or 10 basis points paid per trade, does it beat
# buying and holding the index?

# %%
import time

import numpy as np
import pandas as pd
from matplotlib import ticker

from finlstm import facts, plots
from finlstm.backtest import backtest, buy_and_hold
from finlstm.data import load_prices
from finlstm.devices import enable_compilation_cache, use_cpu_cores
from finlstm.features import add_features, simple_returns
from finlstm.metrics import annualized_return, majority_rate
from finlstm.models import ModelConfig, StackedLSTM
from finlstm.parallel import fit_many, predict_many
from finlstm.prep import MinMaxScaler, make_windows, walk_forward_folds
from finlstm.train import TrainConfig

use_cpu_cores()  # one XLA device per CPU core, before JAX starts (see the JAX primer)
enable_compilation_cache()  # compiled programs kept on disk (see the JAX primer)

WINDOW = 20
N_FOLDS, TEST_DAYS, TRAIN_DAYS = 8, 250, 1500
COSTS_BPS = (0.0, 5.0, 10.0)
# Fixed before looking at any test fold: no validation set, no early stopping.
TRAIN = TrainConfig(epochs=10, loss="bce", progress=False, seed=0)
MODEL = StackedLSTM(
    ModelConfig(
        hidden_sizes=(32,),
        dense_size=16,
        output_size=1,
        dropout=0.2,
        dense_activation="relu",
    )
)

facts.record("test_block_days", TEST_DAYS)
facts.record("train_days", TRAIN_DAYS)

prices = load_prices("sp500")
print("source:", prices.attrs["source"])
features = add_features(prices).dropna()
close = prices["Close"].loc[features.index]
up = (close.diff() > 0).astype(float).to_numpy()
day_returns = simple_returns(close).fillna(0.0).to_numpy()
dates = features.index

# %% [markdown]
# ## The folds
#
# Eight test blocks of {{ fact("test_block_days") }} trading days (about a year each) at the end of the
# data. Each fold trains on the {{ fact("train_days", ",") }} days before its test block, minus a gap
# of window + horizon days. The labels here are one day long, so a training
# window chosen by its target day could not touch the test block even with no
# gap; the gap also keeps the test windows' inputs out of the training days, so
# no day is both a training label and a test input. Purging proper (López de
# Prado 2018, ch. 7) is for labels that span several days, as in the
# volatility and regime lessons, whose 5-day targets would otherwise reach into
# the test block. Rolling windows of equal
# length give every fold the same array shapes, so the eight models train in
# one compiled program (`fit_many`: on a CPU each core trains its share of them
# in turn; on a GPU `jax.vmap` batches all eight).

# %%
folds = walk_forward_folds(
    len(features),
    n_folds=N_FOLDS,
    test_size=TEST_DAYS,
    window=WINDOW,
    horizon=1,
    mode="rolling",
    train_size=TRAIN_DAYS,
)
for k, fold in enumerate(folds):
    print(
        f"fold {k}: train {dates[fold.train_start].date()} to "
        f"{dates[fold.train_end - 1].date()}, test "
        f"{dates[fold.test_start].date()} to {dates[fold.test_end - 1].date()}"
    )

# %% [markdown]
# Each fold gets its own scaler, fitted on its own training rows. The label of
# the window ending at day $t$ is whether day $t+1$ closes higher.

# %%
train_x, train_y, test_x, test_rows = [], [], [], []
for fold in folds:
    scaler = MinMaxScaler.fit(features.to_numpy()[fold.train])
    windows = make_windows(
        scaler.transform(features.to_numpy()), up, window=WINDOW, horizon=1
    )
    train = windows.select(fold.train_start + WINDOW, fold.train_end)
    test = windows.select(fold.test_start, fold.test_end)
    train_x.append(train.inputs)
    train_y.append(train.targets)
    test_x.append(test.inputs)
    test_rows.append(test.target_rows)
train_x, train_y = np.stack(train_x), np.stack(train_y)
test_x = np.stack(test_x)
print("training arrays", train_x.shape, "(folds, samples, timesteps, features)")

# %% tags=["timing"]
started = time.perf_counter()
params, losses = fit_many(MODEL, train_x, train_y, TRAIN)
print(
    f"{N_FOLDS} folds x {TRAIN.epochs} epochs in one program: "
    f"{time.perf_counter() - started:.1f} s"
)

# %%
logits = predict_many(MODEL, params, test_x)[..., 0]
probability = 1 / (1 + np.exp(-logits))  # (folds, test days)
rows = np.concatenate(test_rows)  # the day each forecast is for
assert np.all(np.diff(rows) == 1), "test blocks must follow one another"
p_up = probability.reshape(-1)
fold_table = pd.DataFrame(
    {
        "test year ends": [dates[r[-1]].date() for r in test_rows],
        "accuracy": [
            np.mean((p > 0.5) == (up[r] == 1))
            for p, r in zip(probability, test_rows, strict=True)
        ],
        "majority rate": [majority_rate(up[r] * 2 - 1) for r in test_rows],
        "share 'up' calls": [np.mean(p > 0.5) for p in probability],
    }
)
with pd.option_context("display.float_format", "{:.3f}".format):
    print(fold_table)
facts.record("share_up_calls", float(np.mean(p_up > 0.5)))

# %% [markdown]
# ## Trading the signal
#
# Read with a cut at 0.5, the models' probabilities say "up" on
# {{ fact("share_up_calls", ".0%") }} of the test days. {{ fact("base_rate_verdict") }} A signal that carries the model's *view* compares
# P(up) with the share of up days in the fold's own training years (a
# threshold fitted on training data only): above it, the model is more
# optimistic than usual.
#
# Three ways to trade: **0.5 long/flat** (hold the index when P(up) > 0.5),
# **long/flat** and **long/short** around the training base rate. The signal
# made at the close of day $t$ sets the position held on day $t+1$
# (`finlstm.backtest.backtest` shifts it), and every change of position pays
# the cost per unit traded.

# %%
base_rates = np.array(
    [np.mean(up[fold.train_start + WINDOW : fold.train_end]) for fold in folds]
)
above = (probability > base_rates[:, None]).reshape(-1)
print(
    "training base rates per fold:",
    np.round(base_rates, 3),
    f"\ndays above the fold's base rate: {above.mean():.1%}",
)
facts.record("lowest_base_rate", float(base_rates.min()))
facts.record("highest_base_rate", float(base_rates.max()))
facts.verdict(
    "base_rate_verdict",
    base_rates.min() > 0.5,
    when_true="The share of up days in every fold's training years is above one half "
    f"({base_rates.min():.3f} to {base_rates.max():.3f}), and a model that stays close to it "
    'says "up" whenever the cut is 0.5.',
    when_false="The share of up days in the folds' training years runs from "
    f"{base_rates.min():.3f} to {base_rates.max():.3f}, not above one half in every fold.",
)
# Decision days: the close before each forecast day.
decision_returns = day_returns[rows - 1]
signals = {
    "0.5 long/flat": (p_up > 0.5).astype(float),
    "long/flat": above.astype(float),
    "long/short": np.where(above, 1.0, -1.0),
}
results = {}
summary = []
for cost in COSTS_BPS:
    for name, signal in signals.items():
        results[name, cost] = backtest(signal, decision_returns, cost)
    results["buy and hold", cost] = buy_and_hold(decision_returns, cost)
    for name in (*signals, "buy and hold"):
        res = results[name, cost]
        s = res.summary()
        summary.append(
            {
                "strategy": name,
                "cost (bp)": cost,
                "annual return": annualized_return(res.net_returns),
                "Sharpe": s["sharpe_net"],
                "max drawdown": s["max_drawdown_net"],
                "turnover": s["turnover"],
            }
        )
summary = pd.DataFrame(summary).set_index(["strategy", "cost (bp)"])
with pd.option_context("display.float_format", "{:.3f}".format):
    print(summary.sort_index())


# %%
# With P(up) above 0.5 on every test day, the 0.5 cut holds the index throughout: its
# equity is buy-and-hold's, and the chart draws the two as one line.
half_cut_is_hold = all(
    np.allclose(
        results["0.5 long/flat", cost].net_returns,
        results["buy and hold", cost].net_returns,
    )
    for cost in COSTS_BPS
)
facts.verdict(
    "half_cut_verdict",
    half_cut_is_hold,
    when_true="The 0.5 long/flat strategy held the index on every test day, so its equity is "
    "buy-and-hold's at every cost: the chart draws the two as one line and the table repeats "
    "the same numbers.",
    when_false="The 0.5 long/flat strategy stepped out of the index on "
    f"{1 - np.mean(p_up > 0.5):.0%} of the test days, so its equity differs from "
    "buy-and-hold's.",
)
drawn = [
    name
    for name in signals
    if not (half_cut_is_hold and name == "0.5 long/flat")
]
hold_label = (
    "buy and hold = 0.5 long/flat" if half_cut_is_hold else "buy and hold"
)


def draw_equity(fig):
    ax = fig.add_subplot()
    days = dates[rows - 1]
    for name in (*drawn, "buy and hold"):
        label = hold_label if name == "buy and hold" else name
        gross = results[name, 0.0].equity_gross
        net = results[name, 10.0].equity_net
        (line,) = ax.plot(
            days, gross, linewidth=1.0, label=f"{label}, no costs"
        )
        ax.plot(
            days,
            net,
            color=line.get_color(),
            linestyle="--",
            linewidth=1.0,
            label=f"{label}, 10 bp",
        )
    ax.set(
        title="Walk-forward equity, S&P 500, 8 yearly folds",
        xlabel="date",
        ylabel="growth of 1 (log scale)",
        yscale="log",
    )
    # Growth factors as plain numbers (1, 1.5, 2), not powers of ten.
    ax.yaxis.set_major_locator(
        ticker.LogLocator(subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0))
    )
    ax.yaxis.set_major_formatter(
        ticker.FuncFormatter(lambda value, _: f"{value:g}")
    )
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    # Under the axes, not over the curves.
    ax.legend(ncols=2, loc="upper center", bbox_to_anchor=(0.5, -0.16))


strategies = ", ".join(drawn)
plots.show(
    draw_equity,
    alt=f"Equity curves of the {strategies} LSTM strategies and {hold_label}, "
    "without costs and after 10 basis points per trade.",
    figsize=(9.0, 5.2),
)

# %% [markdown]
# {{ fact("half_cut_verdict") }}

# %% [markdown]
# ## What this lesson measured

# %%
sharpe = summary["Sharpe"]
for cost in COSTS_BPS:
    best = sharpe.xs(cost, level="cost (bp)").idxmax()
    hold = sharpe["buy and hold", cost]
    print(
        f"{cost:4.0f} bp: best Sharpe {sharpe[best, cost]:.2f} ({best}); "
        f"buy and hold {hold:.2f}"
    )
beats = [
    name
    for name in signals
    if sharpe[name, 10.0] > sharpe["buy and hold", 10.0]
]
# The best of the strategies that trade differently from buy-and-hold (the 0.5 cut may be
# buy-and-hold itself, as the verdict above says).
same_as_hold = [
    "buy and hold",
    *(["0.5 long/flat"] if half_cut_is_hold else []),
]
best_10 = sharpe.xs(10.0, level="cost (bp)").drop(same_as_hold).idxmax()
facts.record("hold_sharpe_10", sharpe["buy and hold", 10.0])
facts.record("best_strategy_10", best_10)
facts.record("best_sharpe_10", sharpe[best_10, 10.0])
facts.verdict(
    "sharpe_verdict",
    len(beats) > 0,
    when_true="After 10 bp per trade, "
    + ", ".join(beats)
    + f" had a higher Sharpe ratio than buy-and-hold ({sharpe['buy and hold', 10.0]:.2f}).",
    when_false="After 10 bp per trade, no strategy had a higher Sharpe ratio than "
    "buy-and-hold: the best of those that trade differently from it, "
    f"{best_10}, reached {sharpe[best_10, 10.0]:.2f} against "
    f"{sharpe['buy and hold', 10.0]:.2f}.",
)
folds_won = int(np.sum(fold_table["accuracy"] > fold_table["majority rate"]))
facts.record("folds_won", folds_won)
facts.record("n_folds", N_FOLDS)
facts.verdict(
    "folds_verdict",
    folds_won > N_FOLDS / 2,
    when_true=f"The LSTM's accuracy beat its fold's majority rate in {folds_won} of "
    f"{N_FOLDS} folds, a majority of them.",
    when_false=f"The LSTM's accuracy beat its fold's majority rate in {folds_won} of "
    f"{N_FOLDS} folds, not in most of them.",
)
hold_return = summary.loc[("buy and hold", 0.0), "annual return"]
facts.record("hold_annual_return", hold_return)
half_cut_return_10 = summary.loc[("0.5 long/flat", 10.0), "annual return"]
hold_return_10 = summary.loc[("buy and hold", 10.0), "annual return"]
facts.verdict(
    "half_cut_return_verdict",
    half_cut_is_hold,
    when_true="",  # the same strategy as buy-and-hold: nothing to compare
    when_false=f"After 10 bp the 0.5 long/flat strategy returned {half_cut_return_10:.1%} a "
    f"year and buy-and-hold {hold_return_10:.1%}.",
)
facts.verdict(
    "market_verdict",
    hold_return > 0,
    when_true=f"The index rose over the test years (buy-and-hold returned {hold_return:.1%} a "
    'year before costs), so a model that mostly says "up" mostly holds the index.',
    when_false=f"The index fell over the test years (buy-and-hold returned {hold_return:.1%} "
    'a year before costs), so a model that mostly says "up" loses with it.',
)

# %% [markdown]
# {{ fact("sharpe_verdict") }} {{ fact("folds_verdict") }}
#
# How to read this. {{ fact("market_verdict") }}
# {{ fact("half_cut_return_verdict") }} The base-rate signals trade the
# model's view; compare their gross and net rows to see how much of any
# difference the costs take. Turnover is what costs turn into
# losses: a strategy that changes its position on a tenth of the days pays the
# cost on 25 days a year. A result worth trusting would beat buy-and-hold after
# costs in most folds, not only in total, and survive a change of the settings
# chosen before the test; eight folds of one index are still a small sample
# (Bailey et al. 2014).
#
# **Going further** (open questions, beyond the Try-it tasks below). (1) Use `mode="expanding"` folds (train them one by one with
# `fit`). (2) Trade only when P(up) is far from 0.5, for example above 0.55 or
# below 0.45. (3) Add the NASDAQ's features.
#
# **References.** López de Prado (2018), *Advances in Financial Machine
# Learning*, ch. 7 and 12. Fischer & Krauss (2018), *European Journal of
# Operational Research* 270(2). Bailey, Borwein, López de Prado & Zhu (2014),
# *Notices of the AMS* 61(5).

# %% [markdown]
# ## Try it
#
# **1. Costs from turnover.** Predict first: how much return per year does
# the long/short strategy give up at $20$ basis points per unit traded? Estimate
# it from its turnover (units traded per year times the cost), then run the
# check, which measures it from the backtest. *What to look for:* a strategy
# that flips often pays its cost hundreds of times a year.

# %% tags=["exercise-solution"]
COST = 20.0
expensive = backtest(signals["long/short"], decision_returns, COST)
traded = np.abs(np.diff(expensive.positions, prepend=0.0))
estimated_drag = traded.mean() * 252 * COST / 1e4

# %% tags=["exercise-check"]
spent = expensive.gross_returns - expensive.net_returns
measured_drag = spent.mean() * 252
print(
    f"estimated {estimated_drag:.2%} a year, measured {measured_drag:.2%}:",
    end=" ",
)
print("correct" if np.isclose(estimated_drag, measured_drag) else "not yet")

# %% [markdown]
# **2. Buy and hold trades once.** Predict first: what does buy and hold pay
# in costs over all the test days at 10 basis points? *What to look for:* one
# entry, no exit, so its cost is a single charge, the reason it is the hard
# benchmark after costs.

# %% tags=["exercise-solution"]
hold_costs = results["buy and hold", 10.0].costs.sum()
print(f"buy and hold paid {hold_costs:.4%} in total")
