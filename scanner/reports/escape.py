"""Neutralising untrusted text (names and tags from a scanned account) for each medium."""
from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def terminal(text: str) -> str:
    """No control characters reach a terminal: an ESC in a tag value must not recolour (or
    rewrite) the screen, nor a bidi override reorder it; a lone surrogate (which no terminal can
    be sent) is shown too.  Newlines and tabs become spaces."""
    text = str(text).replace("\n", " ").replace("\t", " ")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) <= 0xFF
                        else f"\\u{ord(m.group()):04x}", text)


def html_text(text: object) -> str:
    """Text for an HTML element body or a double-quoted attribute value.

    ``& < > " '`` become entities, so a planted ``<script>``, ``</style>`` or a quote that would
    close an attribute stays text; controls, bidi marks and lone surrogates become a visible
    ``\\xNN`` / ``\\uNNNN`` (see `visible`: an ESC sequence in a tag value must not act when the
    file is ``cat`` to a terminal, nor a bidi override reorder what the reader sees, nor a lone
    surrogate make the file unwritable).  Newlines and tabs are kept (evidence is pretty-printed)."""
    import html

    return html.escape(visible(text, multiline=True), quote=True)


# -- shared by the SARIF, JUnit, Markdown and ASFF renderers -----------------------------------------
#: Every C0/C1 control (tab and newline handled apart), the bidi marks, embeddings, overrides and
#: isolates, the line/paragraph separators, lone surrogates (not encodable) and the XML 1.0
#: non-characters U+FFFE/U+FFFF.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufffe\uffff]")


def _show(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: object, multiline: bool = False) -> str:
    """`text` with every control, bidi and non-character shown as ``\\xNN`` / ``\\uNNNN``: an ESC
    sequence from a tag value cannot recolour a CI log, nor a bidi override reorder what a reviewer
    reads.  Newlines and tabs are kept when `multiline`, else they become spaces."""
    text = str(text)
    if not multiline:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    return _UNSAFE.sub(_show, text)


def json_safe(text: str) -> str:
    """JSON text written with ``ensure_ascii=True`` made inert when printed to a terminal or shown
    in a review: json escapes every character outside ASCII itself (C1 controls such as the CSI
    U+009B, bidi controls, line separators, lone surrogates) and C0 controls; DEL is the one it
    leaves raw.  Escaping everything non-ASCII is also the encoder's fast path."""
    return text.replace("\x7f", "\\u007f")


def truncate(text: str, limit: int | None) -> str:
    """At most `limit` characters, the cut marked with an ellipsis."""
    if limit is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


def xml_text(text: object, multiline: bool = False) -> str:
    """Text for an XML element or attribute, to be escaped by `xml.etree` (which handles ``& < >
    "``).  ElementTree would write a control character as it is, giving a file no XML parser
    accepts (and an ESC that acts when a CI log prints the message): they become visible."""
    return visible(text, multiline)


def sarif_text(text: object) -> str:
    """Plain text for a SARIF ``message.text``.  SARIF gives ``[text](target)`` in a plain-text
    message the meaning of an embedded link (§3.11.6), so a planted ``[click](javascript:…)``
    would be one: literal ``[``, ``]`` and the escaping backslash are backslash-escaped."""
    return re.sub(r"([\\\[\]])", r"\\\1", visible(text))


#: Escaped with a backslash: what opens emphasis, code, links/images, strikethrough, math.
_MD_BACKSLASH = frozenset("\\`*_[]()!~$")
#: As entities: raw HTML (``< > &``) and the table-cell separator, which GFM splits on
#: before inline parsing (an entity cannot be split on, and is decoded back to ``|`` after).
_MD_ENTITY = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;"}
_ZWSP = "&#8203;"  # zero-width space: splits a mention, an autolink or an issue reference apart


def md_text(text: object, limit: int | None = None) -> str:
    """Untrusted text made inert in any inline Markdown context — a paragraph, a list item, a GFM
    table cell, inside ``<code>`` — and rendered back as the same characters.

    - ``<script>``, ``<img onerror>``: ``< > &`` become entities, so no HTML tag can open (and
      so no attribute, which is where a quote could matter);
    - ``[x](javascript:…)``, ``![x](…)``, ``*``, ``_``, backticks, ``~``, ``$``: backslash-escaped,
      so no link, image, emphasis, code span, strikethrough or math can start;
    - ``|``: ``&#124;``, so a table cell cannot be split;
    - ``@everyone``, ``user@host``: zero-width spaces around ``@`` (GitHub finds mentions in the
      rendered text, where a backslash escape is already gone; linkifiers find e-mail addresses);
    - ``https://…``, ``www.…``: a zero-width space breaks GFM's bare-URL autolinks;
      ``#123``: likewise GitHub's issue cross-references;
    - newlines become spaces (one value never starts a block), controls become visible.
    """
    text = truncate(visible(text), limit)  # no NUL survives `visible`: it marks the splits
    text = text.replace("@", "\0@\0")
    text = re.sub(r":(?=//)", ":\0", text)
    text = re.sub(r"(?i)\b(www)\.", "\\1\0.", text)
    text = re.sub(r"#(?=\d)", "#\0", text)
    out = []
    for ch in text:
        if ch in _MD_ENTITY:
            out.append(_MD_ENTITY[ch])
        elif ch in _MD_BACKSLASH:
            out.append("\\" + ch)
        else:
            out.append(_ZWSP if ch == "\0" else ch)
    return "".join(out)


def md_code(text: object, limit: int | None = None) -> str:
    """Untrusted text shown as inline code.  An HTML ``<code>`` element around `md_text`, not a
    backtick span: a backtick span cannot hold a ``|`` in a GFM table cell (the cell splits
    first), and GitHub looks for mentions and autolinks only outside ``<code>`` anyway."""
    return f"<code>{md_text(text, limit)}</code>"


def md_fence(text: object, info: str = "") -> str:
    """A fenced code block holding `text` as it is (controls made visible).  The fence is longer
    than any run of backticks inside, so no line of `text` can close it."""
    body = visible(text, multiline=True).replace("\r", "")
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body.rstrip(chr(10))}\n{fence}"
