"""finlstm: the small, tested library behind the course's lessons."""

__version__ = "0.1.0"
