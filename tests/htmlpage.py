"""Reading vendorguard's HTML pages in tests: a small DOM from html.parser, and the check that a
page is inert — nothing in it can run or load but its own inlined style and script (by their
CSP hashes).  Shared by the evidence report's and the portfolio page's tests."""
from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from typing import Any


VOID = {"meta", "br", "input", "col", "img", "link", "hr", "wbr", "area", "base", "embed", "source", "track"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: "Node | None") -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Any] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Any:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list["Node"]:
        out = []
        for node in self.iter():
            if tag and node.tag != tag:
                continue
            if all(v in (node.attrs.get("class") or "").split() if k == "class_" else
                   node.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append(node)
        return out

    def by_id(self, ident: str) -> "Node":
        found = [n for n in self.iter() if n.attrs.get("id") == ident]
        assert len(found) == 1, f"#{ident}: {len(found)} elements"
        return found[0]

    def ancestor(self, tag: str) -> "Node | None":
        node = self.parent
        while node is not None and node.tag != tag:
            node = node.parent
        return node


class Tree(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.stack = [self.root]
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []
        self.decls: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        node = Node(tag, dict(attrs), self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self.stack[-1].children.append(Node(tag, dict(attrs), self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_decl(self, decl: str) -> None:
        self.decls.append(decl)


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "h4", "p", "strong", "nav", "a",
    "dl", "dt", "dd", "section", "table", "thead", "tbody", "tr", "th", "td", "code", "span", "div", "details",
    "summary", "pre", "ul", "ol", "li", "br", "figure", "figcaption", "svg", "desc", "defs", "pattern", "rect",
    "circle", "g", "text", "form", "fieldset", "legend", "label", "input", "button", "noscript", "colgroup", "col",
    "footer", "script", "polyline", "line", "sup",
}
ALLOWED_ATTRS = {
    "lang", "charset", "http-equiv", "content", "name", "id", "class", "href", "role", "scope", "hidden", "type",
    "value", "checked", "title", "xmlns", "viewbox", "width", "height", "x", "y", "cx", "cy", "r", "fill", "stroke",
    "stroke-width", "stroke-dasharray", "text-anchor", "patternunits", "patterntransform", "aria-labelledby",
    "aria-label", "aria-hidden", "aria-live", "points", "x1", "y1", "x2", "y2", "stroke-linejoin",
    "stroke-linecap", "open",
}


def csp_of(tree: Tree) -> dict[str, list[str]]:
    metas = [n for n in tree.root.find_all("meta") if (n.attrs.get("http-equiv") or "").lower() == "content-security-policy"]
    assert len(metas) == 1, "exactly one CSP meta tag"
    policy: dict[str, list[str]] = {}
    for directive in (metas[0].attrs["content"] or "").split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def assert_inert(page: str) -> Tree:
    """Nothing in the page is active but the report's own script and style."""
    tree = Tree(page)
    assert not tree.comments, tree.comments[:3]
    assert tree.decls == ["DOCTYPE html"]
    for tag, attrs in tree.tags:
        assert tag in ALLOWED_TAGS, f"unexpected element <{tag}> {attrs}"
        for name, value in attrs:
            assert not name.startswith("on"), f"event handler attribute on <{tag}>: {name}={value!r}"
            assert name in ALLOWED_ATTRS or name.startswith("data-"), f"unexpected attribute on <{tag}>: {name}"
            if name == "href":
                assert value and value.startswith("#"), f"non-local link {value!r}"
    scripts = tree.root.find_all("script")
    styles = tree.root.find_all("style")
    assert len(scripts) == 1 and len(styles) == 1
    assert scripts[0].attrs == {} and styles[0].attrs == {}
    policy = csp_of(tree)
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == [sha256(scripts[0].text())], "the script runs only by its hash"
    assert policy["style-src"] == [sha256(styles[0].text())], "the style applies only by its hash"
    for directive in ("img-src", "font-src", "connect-src", "object-src", "base-uri", "form-action", "frame-src"):
        assert policy[directive] == ["'none'"], directive
    assert {m.attrs.get("name") or m.attrs.get("http-equiv") or "charset" for m in tree.root.find_all("meta")} == {
        "charset", "Content-Security-Policy", "referrer", "viewport", "generator"}
    assert not tree.root.find_all("base") and not tree.root.find_all("link")
    # The CSP comes before anything it governs.
    assert page.index("Content-Security-Policy") < page.index("<style>") < page.index("<script>")
    # Terminal escapes, bidi overrides and lone surrogates never reach the file raw (it may be `cat`
    # to a terminal, and it must be writable as UTF-8).
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\uffff]", page)
    page.encode("utf-8")
    return tree
