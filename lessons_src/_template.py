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
# # {title}
#
# **The question.** Say in one or two sentences what this lesson measures, and
# what the reader should be able to decide once they have seen the answer.

# %%
import numpy as np

from finlstm import facts, plots
from finlstm.data import load_prices
from finlstm.devices import enable_compilation_cache, use_cpu_cores

use_cpu_cores()  # one XLA device per CPU core, before JAX starts (see the JAX primer)
enable_compilation_cache()  # compiled programs kept on disk (see the JAX primer)

prices = load_prices("sp500")  # real data, bundled: the lesson runs offline
print("source:", prices.attrs["source"])

# %% [markdown]
# ## The measurement
#
# Explain what the next cell computes and why. Fit anything (scalers, models,
# thresholds) on the training period only, and print every model result next
# to its baseline.

# %%
close = prices["Close"]
daily = np.log(close).diff().dropna()
print(f"{len(daily)} daily log returns, mean {daily.mean():+.5f}")
facts.record("days", len(daily))  # quoted below as {{ fact("days", ",") }}


# %%
def draw(fig):
    ax = fig.add_subplot()
    ax.hist(daily, bins=100)
    ax.set(
        title="Daily log returns of the S&P 500",
        xlabel="log return",
        ylabel="days",
    )


plots.show(draw, alt="Histogram of the S&P 500's daily log returns.")

# %% [markdown]
# ## What this lesson measured
#
# The lesson used {{ fact("days", ",") }} daily returns. State the conclusion
# from the run's own numbers: record each with `facts.record` and choose every
# sentence that depends on them with `facts.verdict`, then give the
# exercises below and references.
#
# ## Try it
#
# **1. A task.** Predict first: what will change? Say what to change and why.
# *What to look for:* the number or the shape of the figure that answers it.

# %% tags=["exercise-solution"]
answer = float(daily.std())

# %% tags=["exercise-check"]
print("correct" if answer > 0 else "not yet: say what to look at")

# %% [markdown]
# **2. Another task.** Predict first: ... *What to look for:* ...
