"""The benchmarks (`make bench`); never part of the tests.

The course model's shape, shared by every implementation: windows of WINDOW days, LSTM
layers of HIDDEN units, a Dense layer of DENSE units, then one output.
"""

WINDOW, HIDDEN, DENSE = 60, (128, 64), 25
