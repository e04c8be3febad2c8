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
# # Regime change: trained through 2007, tested on 2008
#
# **The question.** A model learns the world of its training years. What
# happens when that world ends? Train the volatility model of the previous
# lesson on 1999-2006 (validation 2007), then forecast through the 2008-2009
# crisis. How much worse does it get, and when? Does an ensemble of models
# trained on different sub-periods, weighted by how well each did recently,
# hold up better than one model?

# %%
import numpy as np
import pandas as pd

from finlstm import facts, plots
from finlstm.baselines import garch_variance_forecast
from finlstm.data import load_prices
from finlstm.devices import enable_compilation_cache, use_cpu_cores
from finlstm.features import log_returns, parkinson_variance
from finlstm.metrics import qlike_losses
from finlstm.models import ModelConfig, StackedLSTM
from finlstm.parallel import fit_many, predict_many
from finlstm.prep import MinMaxScaler, future_realized_variance, make_windows
from finlstm.train import TrainConfig, fit, predict

use_cpu_cores()  # one XLA device per CPU core, before JAX starts (see the JAX primer)
enable_compilation_cache()  # compiled programs kept on disk (see the JAX primer)

HORIZON, WINDOW = 5, 20
MEMBERS = 3  # sub-period models in the ensemble
RECENT = 21  # forecasts whose losses set the ensemble weights
TRAIN = TrainConfig(epochs=40, patience=6, loss="qlike", progress=False, seed=0)
MEMBER_TRAIN = TrainConfig(epochs=20, loss="qlike", progress=False, seed=0)
MODEL = StackedLSTM(
    ModelConfig(
        hidden_sizes=(32,),
        dense_size=16,
        output_size=1,
        dropout=0.1,
        dense_activation="relu",
    )
)

facts.record("window", WINDOW)
facts.record("member_epochs", MEMBER_TRAIN.epochs)
facts.record("recent", RECENT)

prices = load_prices("sp500")
print("source:", prices.attrs["source"])
returns = log_returns(prices["Close"]).dropna()
dates = returns.index
n = len(returns)
range_variance = parkinson_variance(prices["High"], prices["Low"]).loc[dates]
squared = returns.to_numpy() ** 2
# future_rv[s] = r[s]^2 + ... + r[s + 4]^2: the 5 days starting at row s.
future_rv = future_realized_variance(returns.to_numpy(), HORIZON)
train_end = int(dates.searchsorted(pd.Timestamp("2007-01-01")))
val_end = int(dates.searchsorted(pd.Timestamp("2008-01-01")))
test_end = int(dates.searchsorted(pd.Timestamp("2010-01-01")))
print(
    f"train {dates[0].date()} to {dates[train_end - 1].date()}, "
    f"validation 2007, test {dates[val_end].date()} to "
    f"{dates[test_end - 1].date()}"
)

# %% [markdown]
# ## How different was 2008?
#
# Realised volatility over 21 days, annualised, in the training years and in
# the test years.

# %%
vol_21 = 100 * np.sqrt(pd.Series(squared, index=dates).rolling(21).mean() * 252)
train_vol = vol_21.iloc[:train_end].dropna()
test_vol = vol_21.iloc[val_end:test_end]
print(
    f"training years: median {train_vol.median():.1f}%, "
    f"max {train_vol.max():.1f}%"
)
print(
    f"test years:     median {test_vol.median():.1f}%, "
    f"max {test_vol.max():.1f}%"
)
print(
    "share of test days above the training maximum: "
    f"{(test_vol > train_vol.max()).mean():.1%}"
)
facts.record("train_vol_median", train_vol.median())
facts.record("train_vol_max", train_vol.max())
facts.record("test_vol_median", test_vol.median())
facts.record("test_vol_max", test_vol.max())
facts.record(
    "share_above_train_max", float((test_vol > train_vol.max()).mean())
)


# %%
def draw_shift(fig):
    ax = fig.add_subplot()
    bins = np.linspace(0, max(test_vol.max(), train_vol.max()) + 5, 50)
    ax.hist(train_vol, bins=bins, density=True, alpha=0.6, label="1999-2006")
    ax.hist(test_vol, bins=bins, density=True, alpha=0.6, label="2008-2009")
    ax.axvline(
        train_vol.max(), color="gray", linestyle=":", label="training maximum"
    )
    ax.set(
        title="Distribution shift: 21-day realised volatility",
        xlabel="annualised volatility (%)",
        ylabel="density",
    )
    ax.legend()


plots.show(
    draw_shift,
    alt="Histograms of 21-day realised volatility in the training years and "
    "in 2008-2009; the crisis years reach far beyond the training maximum.",
)

# %% [markdown]
# ## One model, an ensemble, and GARCH
#
# Inputs as in the volatility lesson: {{ fact("window") }} days of log returns and log range
# variances, scaled on the training years; target the next 5 days' realised
# variance, loss QLIKE.
#
# * **Single model**: trained on all of 1999-2006, early stopping on 2007.
# * **Ensemble**: three models, each trained on one third of the training
#   windows (targets from {{ fact("member_0_span") }}, {{ fact("member_1_span") }} and
#   {{ fact("member_2_span") }}), {{ fact("member_epochs") }} epochs each, all in
#   one compiled program (`finlstm.parallel.fit_many`). At each forecast the members
#   are weighted by the inverse of their mean QLIKE over the last {{ fact("recent") }} forecasts
#   whose outcome is already known (a forecast's 5 days end before the day it
#   is used).
# * **GARCH(1,1)**, fitted on 1999-2006.

# %%
x = np.column_stack(
    [returns.to_numpy(), np.log(range_variance.to_numpy() + 1e-12)]
)
scaler = MinMaxScaler.fit(x[:train_end])
target_scale = np.nanmean(future_rv[: train_end - HORIZON])
windows = make_windows(
    scaler.transform(x),
    np.nan_to_num(future_rv / target_scale, nan=-1.0),
    window=WINDOW,
    horizon=1,
)
train = windows.select(WINDOW, train_end - HORIZON + 1)
val = windows.select(train_end, val_end - HORIZON + 1)
# Forecasts from the start of 2007 on: the validation year gives the ensemble
# its first "recent" losses; only 2008-2009 is scored.
later = windows.select(train_end, test_end)
single = fit(
    MODEL, (train.inputs, train.targets), (val.inputs, val.targets), TRAIN
)
print(
    f"single model: {len(single.history['val_loss'])} epochs, best "
    f"{single.best_epoch}"
)
size = len(train) // MEMBERS
member_x = np.stack(
    [train.inputs[k * size : (k + 1) * size] for k in range(MEMBERS)]
)
member_y = np.stack(
    [train.targets[k * size : (k + 1) * size] for k in range(MEMBERS)]
)
for k in range(MEMBERS):
    first = dates[train.target_rows[k * size]].date()
    last = dates[train.target_rows[(k + 1) * size - 1]].date()
    print(f"member {k}: targets {first} to {last}")
    facts.record(f"member_{k}_span", f"{first:%B %Y} to {last:%B %Y}")
member_params, _ = fit_many(MODEL, member_x, member_y, MEMBER_TRAIN)

# %%
realized = future_rv[later.target_rows]
single_forecast = (
    np.exp(predict(MODEL, single.params, later.inputs)[:, 0]) * target_scale
)
member_forecast = (
    np.exp(
        predict_many(MODEL, member_params, np.stack([later.inputs] * MEMBERS))[
            ..., 0
        ]
    )
    * target_scale
)  # (members, days)
member_losses = np.stack([qlike_losses(f, realized) for f in member_forecast])
# Forecast i may use the losses of forecasts up to i - HORIZON (their 5 days
# ended before forecast i is made).
weights = np.full(member_forecast.shape, 1.0 / MEMBERS)
for i in range(len(realized)):
    known = member_losses[:, max(0, i - HORIZON - RECENT + 1) : i - HORIZON + 1]
    if known.shape[1] > 0:
        inverse = 1.0 / known.mean(axis=1)
        weights[:, i] = inverse / inverse.sum()
ensemble_forecast = (weights * member_forecast).sum(axis=0)
returns_series = pd.Series(returns.to_numpy(), index=dates)
garch = garch_variance_forecast(returns_series, train_end, horizon=HORIZON)
garch_forecast = garch.variance.reindex(dates[later.target_rows]).to_numpy()

scored = later.target_rows >= val_end
test_days = dates[later.target_rows[scored]]
forecasts = {
    "single LSTM": single_forecast[scored],
    "ensemble": ensemble_forecast[scored],
    "GARCH(1,1)": garch_forecast[scored],
}
for k in range(MEMBERS):
    forecasts[f"member {k}"] = member_forecast[k, scored]
losses = {
    name: qlike_losses(f, realized[scored]) for name, f in forecasts.items()
}
table = pd.DataFrame(
    {
        "QLIKE 2008-2009": {k: v.mean() for k, v in losses.items()},
        "QLIKE 2008": {
            k: v[test_days.year == 2008].mean() for k, v in losses.items()
        },
        "QLIKE 2009": {
            k: v[test_days.year == 2009].mean() for k, v in losses.items()
        },
    }
)
with pd.option_context("display.float_format", "{:.3f}".format):
    print(table)


# %%
def draw_losses(fig):
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    for name in ("single LSTM", "ensemble", "GARCH(1,1)"):
        rolling = pd.Series(losses[name], index=test_days).rolling(21).mean()
        top.plot(test_days, rolling, label=name)
    top.set(
        title="Test loss over time, 21-forecast rolling mean",
        ylabel="QLIKE",
        yscale="log",
    )
    top.legend()
    for k in range(MEMBERS):
        bottom.plot(test_days, weights[k, scored], label=f"member {k}")
    bottom.set(
        title="Ensemble weights",
        xlabel="first day of the forecast period",
        ylabel="weight",
    )
    bottom.legend(ncols=3, fontsize=8)


plots.show(
    draw_losses,
    alt="Rolling QLIKE of the single LSTM, the ensemble and GARCH through "
    "2008-2009, with the ensemble's member weights below.",
    figsize=(9.0, 6.0),
)

# %% [markdown]
# ## What this lesson measured

# %%
worst_day = test_days[
    np.argmax(
        pd.Series(losses["single LSTM"]).rolling(21).mean().fillna(0).to_numpy()
    )
]
print(
    f"the single model's rolling loss peaks in the 21 forecasts to "
    f"{worst_day.date()}"
)
val_loss = np.mean(qlike_losses(single_forecast[~scored], realized[~scored]))
print(
    f"single model QLIKE: 2007 (validation) {val_loss:.3f}, "
    f"2008 {table.loc['single LSTM', 'QLIKE 2008']:.3f}"
)
ranking = table["QLIKE 2008-2009"][["single LSTM", "ensemble", "GARCH(1,1)"]]
print("2008-2009 ranking (best first):", ", ".join(ranking.sort_values().index))
facts.record("worst_window_end", f"{worst_day:%B %Y}")
facts.record("worst_window_end_month", worst_day.month)
facts.record("worst_window_end_year", worst_day.year)
facts.record("validation_qlike", val_loss)
facts.record("single_qlike_2008", table.loc["single LSTM", "QLIKE 2008"])
facts.record("ranking", ", ".join(ranking.sort_values().index))
for name, key in (
    ("single LSTM", "single"),
    ("ensemble", "ensemble"),
    ("GARCH(1,1)", "garch"),
):
    facts.record(f"{key}_qlike", ranking[name])
member_qlike = table["QLIKE 2008-2009"][[f"member {k}" for k in range(MEMBERS)]]
facts.record("worst_member", member_qlike.idxmax())
facts.record("worst_member_qlike", member_qlike.max())
facts.record("best_member_qlike", member_qlike.min())
# The calmest member: the lowest median 21-day volatility over its training targets.
member_vol = {
    f"member {k}": vol_21.iloc[
        train.target_rows[k * size : (k + 1) * size]
    ].median()
    for k in range(MEMBERS)
}
calmest = min(member_vol, key=member_vol.get)
facts.record("calmest_member", calmest)
facts.record("calmest_member_vol", member_vol[calmest])
facts.verdict(
    "calm_member_verdict",
    member_qlike.idxmax() == calmest,
    when_true=f"The member trained on the calmest years ({calmest}, median 21-day volatility "
    f"{member_vol[calmest]:.1f}%) has the worst loss over 2008-2009 "
    f"({member_qlike.max():.3f}): it forecasts far too little variance in a crisis, and "
    "QLIKE punishes forecasts that are too low hardest.",
    when_false=f"The worst member over 2008-2009 ({member_qlike.idxmax()}, "
    f"{member_qlike.max():.3f}) is not the one trained on the calmest years ({calmest}): "
    "calm training years alone do not explain the members' losses here.",
)
facts.verdict(
    "crisis_verdict",
    worst_day.year == 2008 and worst_day.month in (9, 10, 11, 12),
    when_true=f"The single model's rolling loss peaks in the {RECENT} forecasts to "
    f"{worst_day:%B %Y}: a jump at the crisis of autumn 2008, which says regime change.",
    when_false=f"The single model's rolling loss peaks in the {RECENT} forecasts to "
    f"{worst_day:%B %Y}, not in the autumn 2008 crisis.",
)
facts.verdict(
    "ensemble_verdict",
    ranking["ensemble"] > ranking["single LSTM"],
    when_true="The ensemble did worse than the single model over 2008-2009 (QLIKE "
    f"{ranking['ensemble']:.3f} against {ranking['single LSTM']:.3f}).",
    when_false="The ensemble did better than the single model over 2008-2009 (QLIKE "
    f"{ranking['ensemble']:.3f} against {ranking['single LSTM']:.3f}).",
)
facts.verdict(
    "garch_verdict",
    ranking["GARCH(1,1)"] < ranking[["single LSTM", "ensemble"]].min(),
    when_true=f"GARCH(1,1) had the lowest loss of the three ({ranking['GARCH(1,1)']:.3f}).",
    when_false=f"GARCH(1,1) did not have the lowest loss ({ranking['GARCH(1,1)']:.3f}); "
    f"the {ranking.idxmin()} did ({ranking.min():.3f}).",
)

# %% [markdown]
# {{ fact("crisis_verdict") }} QLIKE of the single model: {{ fact("validation_qlike", ".3f") }}
# on 2007 (validation), {{ fact("single_qlike_2008", ".3f") }} on 2008. Ranking over
# 2008-2009, best first: {{ fact("ranking") }}. {{ fact("garch_verdict") }}
#
# How to read this. The loss over time shows *when* the model fails: a jump at
# a date says regime change; a steady rise from the first day would say
# overfitting. The histogram shows why: 21-day volatility had a median of
# {{ fact("train_vol_median", ".1f") }}% and a maximum of {{ fact("train_vol_max", ".1f") }}% in
# the training years, against a median of {{ fact("test_vol_median", ".1f") }}% and a maximum of
# {{ fact("test_vol_max", ".1f") }}% in 2008-2009; {{ fact("share_above_train_max", ".1%") }} of
# the test days lie above the training maximum, so the scaled inputs left the range
# the network was fitted on, the same problem as the price scaler in Module 3. GARCH has
# no range to leave: its forecast rises mechanically with each large return.
#
# {{ fact("ensemble_verdict") }} Each member saw only part of the history, and their
# losses over 2008-2009 run from {{ fact("best_member_qlike", ".3f") }} to
# {{ fact("worst_member_qlike", ".3f") }}. {{ fact("calm_member_verdict") }}
# Weighting by recent losses adapts only as fast as those losses arrive (each
# forecast's outcome is known 5 days later), so a sudden break hurts the ensemble before
# the weights move. Whether an ensemble helps is an empirical question, to be answered
# walk-forward like any other.
#
# **Going further** (open questions, beyond the Try-it tasks below). (1) Refit the single model every quarter (walk-forward) and
# plot the loss again. (2) Give the models scale-free inputs (returns divided
# by their trailing volatility). (3) Weight the ensemble with a softmax of
# minus the recent losses instead of their inverse.
#
# **References.** Bollerslev (1986); Patton (2011); López de Prado (2018),
# ch. 17 (structural breaks).

# %% [markdown]
# ## Try it
#
# **1. How far outside?** Predict first: on what share of the 2008-2009 test
# days was the 21-day volatility above the highest value of the training
# years? *What to look for:* each such day asks the model about inputs it has
# never seen.

# %% tags=["exercise-solution"]
outside = float((test_vol > train_vol.max()).mean())
print(f"test days above the training maximum: {outside:.1%}")

# %% [markdown]
# **2. The ensemble is an average.** Predict first: on every day, what do the
# members' weights sum to? Then run the check. *What to look for:* the weights
# sum to 1 on every day, so the ensemble's forecast always lies between its
# members' forecasts; it cannot forecast a variance none of them forecast.

# %% tags=["exercise-check"]
sums = weights.sum(axis=0)
inside = np.all(
    (ensemble_forecast >= member_forecast.min(axis=0) * (1 - 1e-9))
    & (ensemble_forecast <= member_forecast.max(axis=0) * (1 + 1e-9))
)
print(f"weights sum from {sums.min():.6f} to {sums.max():.6f}:", end=" ")
print("correct" if np.allclose(sums, 1.0) and inside else "not yet")
