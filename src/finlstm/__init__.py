"""finlstm: the small, tested library behind the course's lessons.

Importing it changes nothing in your process. On a CPU, call
`finlstm.devices.use_cpu_cores()` before the first JAX computation to train as the lessons
do, with every batch split over the cores.
"""

__version__ = "0.1.0"

# The modules, each with one job (README.md lists them).
__all__ = [
    "backtest",
    "baselines",
    "checks",
    "data",
    "demo",
    "devices",
    "facts",
    "fast_lstm",
    "features",
    "losses",
    "lstm",
    "metrics",
    "models",
    "parallel",
    "plots",
    "prep",
    "price_csv",
    "prices",
    "train",
]
