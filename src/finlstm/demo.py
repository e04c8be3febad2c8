"""The course model on the bundled S&P 500, end to end, printed beside naive persistence.

    python -m finlstm.demo            (or: finlstm-demo)

Steps: load the bundled daily closes -> chronological 70/15/15 split -> min-max scaler fitted
on the training rows only -> 60-day windows, next-day target -> StackedLSTM trained with early
stopping on validation -> test predictions, scaled back to index points -> RMSE, RMSE ratio to
persistence ("tomorrow = today") and directional accuracy beside the majority-class rate.
Nothing here is tuned to make the LSTM look good: these are the course defaults.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from finlstm.baselines import persistence
from finlstm.data import load_prices
from finlstm.devices import enable_compilation_cache, use_cpu_cores
from finlstm.metrics import directional_accuracy, majority_rate, rmse
from finlstm.models import ModelConfig, StackedLSTM, count_params
from finlstm.prep import MinMaxScaler, chronological_split, make_windows
from finlstm.train import TrainConfig, fit, predict

__all__ = [
    "DemoConfig",
    "main",
    "report",
    "run",
]


@dataclass(frozen=True)
class DemoConfig:
    symbol: str = "sp500"
    window: int = 60
    horizon: int = 1
    train: TrainConfig = TrainConfig()
    model: ModelConfig = ModelConfig()


def run(config: DemoConfig = DemoConfig()) -> dict:
    """Train and evaluate; returns the test metrics as a dict (prices in index points)."""
    started = time.perf_counter()
    prices = load_prices(config.symbol)
    close = prices["Close"].to_numpy()
    bounds = chronological_split(len(close))
    scaler = MinMaxScaler.fit(close[bounds.train])  # training rows only
    scaled = scaler.transform(close)
    windows = make_windows(scaled, scaled, config.window, config.horizon)
    train = windows.select(0, bounds.train_end)
    val = windows.select(bounds.train_end, bounds.val_end)
    test = windows.select(bounds.val_end, bounds.n_rows)

    model = StackedLSTM(config.model)
    result = fit(model, (train.inputs, train.targets), (val.inputs, val.targets), config.train)
    predicted = scaler.inverse_transform(predict(model, result.params, test.inputs)[:, 0], 0)
    actual = close[test.target_rows]
    naive = persistence(close, test.target_rows, config.horizon)
    today = close[test.target_rows - config.horizon]

    return {
        "source": prices.attrs["source"],
        "test_period": f"{prices.index[test.target_rows[0]].date()} to "
        f"{prices.index[test.target_rows[-1]].date()}",
        "samples": {"train": len(train), "val": len(val), "test": len(test)},
        "parameters": count_params(result.params),
        "epochs_run": len(result.history["train_loss"]),
        "best_epoch": result.best_epoch,
        "rmse_lstm": rmse(actual, predicted),
        "rmse_persistence": rmse(actual, naive),
        "rmse_ratio": rmse(actual, predicted) / rmse(actual, naive),
        "directional_accuracy": directional_accuracy(actual - today, predicted - today),
        "majority_rate": majority_rate(actual - today),
        "seconds": time.perf_counter() - started,
    }


def report(metrics: dict) -> str:
    """The metrics as a short table, each model figure beside its baseline."""
    return "\n".join(
        [
            f"data:        {metrics['source']}",
            f"test period: {metrics['test_period']} ({metrics['samples']['test']} days)",
            f"model:       StackedLSTM, {metrics['parameters']:,} parameters, "
            f"{metrics['epochs_run']} epochs (best {metrics['best_epoch']})",
            "",
            f"{'metric':<26}{'LSTM':>12}{'baseline':>12}",
            f"{'test RMSE (index points)':<26}{metrics['rmse_lstm']:>12.2f}"
            f"{metrics['rmse_persistence']:>12.2f}   (persistence: tomorrow = today)",
            f"{'RMSE / persistence RMSE':<26}{metrics['rmse_ratio']:>12.3f}{1.0:>12.3f}"
            "   (below 1 beats the random walk)",
            f"{'directional accuracy':<26}{metrics['directional_accuracy']:>12.3f}"
            f"{metrics['majority_rate']:>12.3f}   (baseline: always the majority direction)",
            "",
            f"finished in {metrics['seconds']:.1f} s",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    parser.add_argument("--seed", type=int, default=TrainConfig.seed)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    use_cpu_cores()  # one XLA device per CPU core, as the lessons train
    enable_compilation_cache()
    train = TrainConfig(epochs=args.epochs, seed=args.seed, progress=not args.no_progress)
    print(report(run(DemoConfig(train=train))))


if __name__ == "__main__":
    main()
