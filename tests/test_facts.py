"""finlstm.facts: lessons record results under names, and the prose quotes them."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

from finlstm import facts


def _fact_output(name, value):
    return nbformat.v4.new_output(
        "display_data", data={facts.FACT_MIME: {"name": name, "value": value}, "text/plain": ""}
    )


def _notebook(markdown: str, recorded: dict) -> nbformat.NotebookNode:
    code = nbformat.v4.new_code_cell("facts.record(...)")
    code.outputs = [_fact_output(name, value) for name, value in recorded.items()]
    code.outputs.append(nbformat.v4.new_output("stream", name="stdout", text="printed\n"))
    return nbformat.v4.new_notebook(cells=[code, nbformat.v4.new_markdown_cell(markdown)])


def test_record_keeps_plain_python_values_and_returns_nothing():
    assert facts.record("ratio_test", np.float32(0.5)) is None  # no Out[...] line
    assert facts.recorded["ratio_test"] == 0.5 and type(facts.recorded["ratio_test"]) is float
    facts.record("count_test", np.int64(3))
    assert facts.recorded["count_test"] == 3 and type(facts.recorded["count_test"]) is int
    facts.record("flag_test", np.bool_(True))
    assert facts.recorded["flag_test"] is True


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("Bad Name", 1.0, "lower-case identifier"),
        ("nan_fact", float("nan"), "finite number"),
        ("array_fact", np.zeros(3), "bool, a number or a short text"),
        ("long_fact", "x" * 601, "longer than"),
    ],
)
def test_record_refuses_what_prose_cannot_quote(name, value, message):
    with pytest.raises(ValueError, match=message):
        facts.record(name, value)


def test_verdict_records_the_sentence_that_holds_and_which_one_it_was():
    facts.verdict("beats_test", 0.8 < 1, when_true="It wins.", when_false="It loses.")
    assert facts.recorded["beats_test"] == "It wins." and facts.recorded["beats_test_holds"]
    facts.verdict("beats_test", 1.2 < 1, when_true="It wins.", when_false="It loses.")
    assert facts.recorded["beats_test"] == "It loses."
    assert facts.recorded["beats_test_holds"] is False


def test_fill_formats_each_placeholder_with_its_spec():
    known = {"ratio": 7.7412, "share": 0.4621, "days": 2471, "says": "It loses."}
    text = (
        'ratio {{ fact("ratio", ".2f") }}, share {{fact(\'share\', ".1%")}}, '
        '{{ fact("days", ",") }} days. {{ fact("says") }}'
    )
    assert facts.fill(text, known, "here") == "ratio 7.74, share 46.2%, 2,471 days. It loses."


def test_an_unknown_fact_names_the_place_and_the_fact():
    with pytest.raises(facts.FactError, match=r"page modules/x\.md: .*'m3\.nope'"):
        facts.fill('{{ fact("m3.nope") }}', {"m3.yes": 1}, "page modules/x.md")


def test_a_spec_that_does_not_fit_the_value_is_an_error_naming_it():
    with pytest.raises(facts.FactError, match=r"'says' cannot be formatted as '\.2f'"):
        facts.fill('{{ fact("says", ".2f") }}', {"says": "It loses."}, "here")


def test_publish_fills_the_prose_removes_the_fact_outputs_and_keeps_the_facts():
    notebook = _notebook('Ratio {{ fact("ratio", ".1f") }}.', {"ratio": 7.74, "ratio2": 1.0})
    published = facts.publish(notebook, "lessons_src/m9.py")
    assert published.cells[1].source == "Ratio 7.7."
    assert [o.output_type for o in published.cells[0].outputs] == ["stream"]
    assert published.metadata[facts.METADATA_KEY] == {"ratio": 7.74, "ratio2": 1.0}


def test_publish_fails_on_a_fact_the_lesson_did_not_record():
    notebook = _notebook('Ratio {{ fact("missing") }}.', {"ratio": 7.74})
    with pytest.raises(facts.FactError, match=r"lessons_src/m9\.py, Markdown cell 2: .*'missing'"):
        facts.publish(notebook, "lessons_src/m9.py")


def test_outside_a_kernel_nothing_is_displayed(capsys):
    facts.record("quiet_test", 1.5)
    assert capsys.readouterr().out == ""


def test_module_pages_quote_lesson_facts_and_an_unknown_one_stops_the_build(tmp_path):
    from course_site.page_facts import lesson_facts, quote_facts

    notebook = facts.publish(_notebook("no placeholder", {"rmse_ratio": 7.264}), "m9")
    nbformat.write(notebook, tmp_path / "m9_lesson.ipynb")
    known = lesson_facts(tmp_path)
    page = "modules/3-building-a-model.md"
    filled = quote_facts('ratio {{ fact("m9_lesson.rmse_ratio", ".2f") }}', known, page)
    assert filled == "ratio 7.26"
    with pytest.raises(
        facts.FactError, match=r"modules/3-building-a-model\.md: .*'m9_lesson\.nope'"
    ):
        quote_facts('{{ fact("m9_lesson.nope") }}', known, page)
