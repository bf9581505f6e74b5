"""Text from data (column names, categories, labels, errors) made inert wherever it is shown.

Jinja2 escapes HTML in pages. Two places need more: plotly draws chart text from a small HTML subset
(so `<b>` in a category would be bold and an entity decoded), and JSON inside a page's <script> must
not be able to close that script. Bidirectional controls such as U+202E would reorder what follows
them on screen, so they, and every other invisible control, are shown as visible code points.
"""

from __future__ import annotations

import html
import json
import unicodedata
from typing import Any

from markupsafe import Markup

MAX_LABEL = 80


def visible(text: object, *, limit: int | None = None) -> str:
    """`text` with control and format characters (bidi overrides, zero-width, NUL) shown as ⟨U+XXXX⟩,
    shortened to `limit` characters with an ellipsis when given."""
    raw = str(text)
    if raw.isascii() and raw.isprintable():  # the common case: nothing to show differently
        return raw if limit is None or len(raw) <= limit else raw[: limit - 1] + "…"
    out = []
    for char in raw:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") and char not in "\t":
            out.append(f"⟨U+{ord(char):04X}⟩")
        else:
            out.append(char)
    shown = "".join(out)
    if limit is not None and len(shown) > limit:
        return shown[: limit - 1] + "…"
    return shown


def chart_text(text: object, *, limit: int | None = MAX_LABEL) -> str:
    """A label for plotly: visible, shortened, and HTML-escaped, since plotly reads tags and entities
    in its text (escaped, it draws them as the literal characters)."""
    return html.escape(visible(text, limit=limit), quote=False)


def json_island(value: Any) -> Markup:
    """JSON to put between <script type="application/json"> tags: no sequence in it can end the
    script element or start a comment, whatever the data holds."""
    text = json.dumps(value, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    for raw, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(raw, escaped)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def inline_script(source: str) -> Markup:
    """JavaScript to put between <script> tags of a self-contained file: every `</` becomes `<\\/`,
    which is the same text inside a JS string, regex or comment but cannot close the element (the
    bundled libraries hold `</svg>`-like strings); `<!--` is broken up for the same reason."""
    return Markup(source.replace("</", "<\\/").replace("<!--", "<\\!--"))
