"""Text from data is shown, never run: visible controls, escaped chart labels, JSON that stays data."""

from __future__ import annotations

import json

from monitor.reports.safe import chart_text, json_island, visible

HOSTILE = "<script>alert(1)</script>\"'\u202eevil\u200b\x00"


def test_controls_and_bidi_overrides_become_visible_code_points() -> None:
    assert visible("a\u202eb") == "a⟨U+202E⟩b"
    assert visible("x\x00y\u200bz") == "x⟨U+0000⟩y⟨U+200B⟩z"
    assert visible("\ud800") == "⟨U+D800⟩"  # a lone surrogate cannot even be encoded as UTF-8
    assert visible("plain café ✓") == "plain café ✓"


def test_long_text_is_shortened_with_an_ellipsis() -> None:
    assert visible("abcdefghij", limit=5) == "abcd…"
    assert visible("abc", limit=5) == "abc"


def test_chart_labels_are_html_escaped_for_plotly() -> None:
    assert chart_text("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    assert chart_text(HOSTILE, limit=None) == (
        "&lt;script&gt;alert(1)&lt;/script&gt;\"'⟨U+202E⟩evil⟨U+200B⟩⟨U+0000⟩"
    )


def test_a_json_island_cannot_close_its_script_and_parses_back_to_the_same_value() -> None:
    value = {"name": "</script><script>alert(1)</script><!--", "sep": "\u2028\u2029", "amp": "a&b"}
    island = str(json_island(value))
    assert "<" not in island and ">" not in island and "&" not in island
    assert "\u2028" not in island and "\u2029" not in island
    assert json.loads(island) == value
