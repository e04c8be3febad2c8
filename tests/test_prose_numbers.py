"""No result is typed by hand: every number in the prose is a fact, a definition or cited.

The prose is the Markdown of the lessons (lessons_src/*.py) and the module pages. A number
there must be a `{{ fact(...) }}` placeholder (filled from the executed run), or a definition
of the course or a cited constant listed in ALLOWED with its reason. Code, math, links and
bibliographic references are not prose and are not read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted(p for p in (ROOT / "lessons_src").glob("*.py") if not p.name.startswith("_"))
PAGES = [*sorted((ROOT / "docs" / "modules").glob("*.md")), ROOT / "docs" / "index.md"]

# Numbers any prose may use, and why (a measured result never belongs here).
ALLOWED = {
    "60": "the course's window length, 60 trading days",
    "59": "days two neighbouring 60-day windows share",
    "70%": "the course's chronological split, 70/15/15",
    "15%": "the course's chronological split, 70/15/15",
    "80%": "the original outline's training share, quoted in Module 3's warning about its bug",
    "0.9": "the vanishing-gradient example, 0.9 to the power 100",
    "100": "the vanishing-gradient example, 0.9 to the power 100; and the 100-step sequences",
    "128": "the course model's first LSTM layer",
    "64": "the course model's second LSTM layer; the course's batch size",
    "25": "the course model's dense layer",
    "0.2": "the course model's dropout rate",
    "0.05": "the conventional significance level the lessons test at",
    "0.5": "the probability cut that reads P(up) as a yes/no call; the AUC of no ranking skill",
    "0.55": "an exercise's trading threshold in the backtest lesson, for the reader to try",
    "0.45": "an exercise's trading threshold in the backtest lesson, for the reader to try",
    "50%": "a coin flip, the bar a direction forecast must not be compared with",
    "252": "trading days in a year, for annualising",
    "21": "the realised-volatility window, 21 trading days (about a month)",
    "30": "the VIX's horizon, 30 calendar days (Cboe's definition of the index)",
    "0.46%": "Fischer & Krauss (2018)'s daily return before costs, cited in Module 4",
    "+200": "the XP for passing the quiz, set in docs/data/course.yml",
    "+1": "the forget-gate bias initialisation (Gers et al. 2000)",
}
# Other numbers that are never results: years (data ranges, citations) and whole numbers up to
# ten (counts and labels: "Module 4", "two layers", GARCH(1,1), exercise numbers).
YEAR = re.compile(r"(19|20)\d\d")
SMALL = re.compile(r"(10|\d)")

NOT_PROSE = [
    re.compile(r"```.*?```|~~~.*?~~~", re.S),  # fenced code and diagrams
    re.compile(r"`[^`]*`"),  # inline code
    re.compile(r"\$\$.*?\$\$", re.S),  # display math
    re.compile(r"\$[^$\n]*\$"),  # inline math
    re.compile(r"\]\([^)\n]*\)|<[^>\n]*>"),  # link targets, HTML tags
    re.compile(r"\{\{.*?\}\}", re.S),  # fact placeholders
    re.compile(r"S&P\s*500|--8<--[^\n]*"),  # a name, snippet markers
    re.compile(r"\d+\(\d+\)(?:,\s*\d+-\d+)?"),  # a journal's volume(issue), pages
    re.compile(r"\bch\.\s*\d+(?:\s*and\s*\d+)?"),  # a book's chapters
    re.compile(r"\b[A-Z][A-Za-z]*\(\d+(?:,\s*\d+)*\)"),  # a model's order: GARCH(1,1), RSI(14)
    re.compile(r"arXiv[:\s]*\d{4}\.\d{4,5}"),  # an arXiv identifier
]
REFERENCE = re.compile(r"^\s*[-*] .*\((19|20)\d\d[a-z]?\)")
NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?%?")


def prose_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of the prose in a page, or in a lesson's Markdown cells."""
    lines = path.read_text().splitlines()
    if path.suffix == ".py":
        in_markdown, kept = False, []
        for number, line in enumerate(lines, 1):
            if line.startswith("# %%"):
                in_markdown = "[markdown]" in line
            elif in_markdown and line.startswith("#"):
                kept.append((number, line[2:] if line.startswith("# ") else line[1:]))
            else:
                kept.append((number, ""))  # code keeps its place, so line numbers still match
        lines = [text for _, text in kept]
    text = "\n".join(lines)
    for pattern in NOT_PROSE:  # blank out non-prose, keeping line breaks and so line numbers
        text = pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    return [(n, line) for n, line in enumerate(text.split("\n"), 1) if not REFERENCE.match(line)]


def typed_numbers(path: Path) -> list[str]:
    """Every number in the prose of `path` that is neither allowed nor a placeholder."""
    found = []
    for number, line in prose_lines(path):
        for match in NUMBER.finditer(line):
            value = match.group().rstrip(",")
            if value in ALLOWED or YEAR.fullmatch(value) or SMALL.fullmatch(value):
                continue
            found.append(f"{path.relative_to(ROOT)}:{number}: {value}  in '{line.strip()[:90]}'")
    return found


# Prose written before facts existed, still to be converted; strict, so a file that becomes
# clean fails here until it is taken off the list.
NOT_YET_CONVERTED: set[str] = set()


def _param(path: Path):
    name = path.relative_to(ROOT).as_posix()
    marks = [pytest.mark.xfail(strict=True, reason="not yet converted to facts")]
    return pytest.param(path, id=name, marks=marks if name in NOT_YET_CONVERTED else [])


@pytest.mark.parametrize("path", [_param(p) for p in [*LESSONS, *PAGES]])
def test_prose_types_no_result_by_hand(path):
    found = typed_numbers(path)
    assert not found, (
        "numbers typed into prose: record each result in the lesson with "
        "finlstm.facts.record and quote it as {{ fact(...) }}, or, for a definition of the "
        "course or a cited constant, add it to ALLOWED with its reason:\n" + "\n".join(found)
    )


def test_the_guard_finds_a_typed_result_and_passes_facts_code_and_math(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "The ratio is 7.74 and `x = 3.5` and $e^{0.25}$ and {{ fact('m3.ratio', '.2f') }}.\n"
        "Windows of 60 days, Module 4, in 2008.\n"
        "- Author, A. (1997). A paper. *Journal* 9(8), 1735-1780.\n"
        "```python\nlr = 0.001\n```\n"
    )
    page = page.rename(ROOT / "tests" / f".guard-{tmp_path.name}.md")
    try:
        found = typed_numbers(page)
    finally:
        page.unlink()
    assert [entry.split(": ")[1].split()[0] for entry in found] == ["7.74"]
