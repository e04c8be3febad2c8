"""Results a lesson talks about, recorded under names so that its prose can quote them.

A lesson calls `record("rmse_ratio", ratio)` in a code cell, and its Markdown cells write
`{{ fact("rmse_ratio", ".2f") }}` where the number belongs; a sentence whose truth depends on
the run is chosen by `verdict(name, condition, when_true=..., when_false=...)` and quoted the
same way. Each call displays one output of MIME type `FACT_MIME` (the idea of MyST-NB's
`glue`), so the facts are stored in, and cached with, the executed notebook. When the site
is built, `publish` fills a lesson's placeholders from them and removes those outputs, so a
rendered page shows the numbers and nothing of the mechanism; module pages quote the facts
through `docs/hooks/facts.py`.

Nothing is displayed outside a Jupyter kernel: in a plain script `record` only keeps the
value in `recorded`.
"""

from __future__ import annotations

import math
import re

__all__ = [
    "FACT_MIME",
    "METADATA_KEY",
    "FactError",
    "collect",
    "fill",
    "publish",
    "record",
    "verdict",
]

FACT_MIME = "application/vnd.finlstm.fact+json"
NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
LONGEST_TEXT = 600

Fact = bool | int | float | str

# Every fact recorded in this process, by name (a re-run cell replaces its earlier value).
recorded: dict[str, Fact] = {}


def _plain(name: str, value) -> Fact:
    """`value` as a JSON-ready Python bool, int, float or str, or a ValueError naming `name`."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()  # a NumPy or JAX scalar
    if isinstance(value, bool | int | str):
        if isinstance(value, str) and len(value) > LONGEST_TEXT:
            raise ValueError(f"fact {name!r}: text longer than {LONGEST_TEXT} characters")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"fact {name!r} is {value}; a fact must be a finite number")
        return value
    raise ValueError(
        f"fact {name!r} must be a bool, a number or a short text, got {type(value).__name__}"
    )


def _display(payload: dict) -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # IPython is not installed: a plain script
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return
    from IPython.display import display

    # The empty text/plain keeps Jupyter front ends from complaining about an unknown type.
    display({FACT_MIME: payload, "text/plain": ""}, raw=True)


def record(name: str, value: Fact) -> None:
    """Store `value` (a bool, a finite number or a short text) as fact `name`.

    Names are lower-case identifiers (`rmse_ratio`); a module page quotes the fact as
    `lesson_name.fact_name` (`m3_price_model.rmse_ratio`). Nothing is returned, so a call
    that ends a notebook cell adds no `Out[...]` line to the page.
    """
    if not isinstance(name, str) or not NAME.match(name):
        raise ValueError(f"fact name {name!r} must be a lower-case identifier like 'rmse_ratio'")
    value = _plain(name, value)
    recorded[name] = value
    _display({"name": name, "value": value})


def verdict(name: str, condition, *, when_true: str, when_false: str) -> None:
    """Record, as fact `name`, the sentence that is true of this run.

    Both sentences are written out in the lesson, so a reader of the source sees what it
    would have said either way; the fact `name + "_holds"` records which one applied.
    """
    holds = bool(condition)
    sentence = when_true if holds else when_false
    record(f"{name}_holds", holds)
    record(name, sentence)


# ---- Reading facts back from an executed notebook (used by the site's build) -------------

PLACEHOLDER = re.compile(
    r"""\{\{\s*fact\(\s*["']([A-Za-z0-9_.]+)["']\s*(?:,\s*["']([^"']*)["']\s*)?\)\s*\}\}"""
)
METADATA_KEY = "finlstm_facts"


class FactError(ValueError):
    """A placeholder names a fact that no executed lesson recorded, or cannot format it."""


def _is_fact(output) -> bool:
    return FACT_MIME in output.get("data", {})


def collect(notebook) -> dict[str, Fact]:
    """The facts an executed notebook recorded, by name (the last value of a name wins)."""
    found = {}
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            if _is_fact(output):
                payload = output["data"][FACT_MIME]
                found[payload["name"]] = payload["value"]
    return found


def fill(text: str, known: dict[str, Fact], where: str) -> str:
    """`text` with every `{{ fact("name", "spec") }}` replaced by the fact formatted with the
    format spec (Python's `format`, e.g. ".2f", ".1%", ","); an unknown name raises
    FactError naming `where` and the fact."""

    def replace(match: re.Match) -> str:
        name, spec = match.group(1), match.group(2) or ""
        if name not in known:
            raise FactError(f"{where}: no lesson recorded the fact {name!r}")
        try:
            return format(known[name], spec)
        except (TypeError, ValueError) as error:
            raise FactError(
                f"{where}: fact {name!r} cannot be formatted as {spec!r}: {error}"
            ) from None

    return PLACEHOLDER.sub(replace, text)


def publish(notebook, where: str):
    """The notebook as readers get it: placeholders in Markdown cells filled from its own
    facts, the fact outputs removed, and the facts kept in its metadata (`METADATA_KEY`) for
    pages that quote them. `notebook` is changed in place and returned."""
    known = collect(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            cell.source = fill(cell.source, known, f"{where}, Markdown cell {index + 1}")
        elif "outputs" in cell:
            cell.outputs = [output for output in cell.outputs if not _is_fact(output)]
    notebook.metadata[METADATA_KEY] = known
    return notebook
