#!/usr/bin/env python3
"""Strict structural check of an ehx report page (used by the tests).

Parses FILE with Python's html.parser, fails (exit 1) on an end tag that does
not close the open element, an element left open, a duplicate attribute or a
character reference the parser had to guess, and prints one JSON object:
{"elements": [{"tag", "attrs", "title"}...]} where "title" is the text of the
element's own <title> child (SVG tooltips), for the tests to count.
"""
import html.parser
import json
import sys

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Strict(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.elements = []
        self.errors = []
        self.text = None

    def record(self, tag, attrs):
        names = [k for k, _ in attrs]
        if len(names) != len(set(names)):
            self.errors.append(f"<{tag}> repeats an attribute: {names}")
        element = {"tag": tag, "attrs": {k: (v or "") for k, v in attrs}, "title": None}
        self.elements.append(element)
        return element

    def handle_starttag(self, tag, attrs):
        element = self.record(tag, attrs)
        if tag not in VOID:
            self.stack.append((tag, element))
        if tag == "title":
            self.text = []

    def handle_startendtag(self, tag, attrs):
        self.record(tag, attrs)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"</{tag}> does not close <{self.stack[-1][0] if self.stack else 'nothing'}>")
            return
        self.stack.pop()
        if tag == "title":
            if self.stack:
                self.stack[-1][1]["title"] = "".join(self.text or [])
            self.text = None

    def handle_data(self, data):
        if self.text is not None:
            self.text.append(data)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        source = f.read()
    p = Strict()
    p.feed(source)
    p.close()
    if p.stack:
        p.errors.append("left open: " + " ".join(t for t, _ in p.stack))
    if not source.startswith("<!DOCTYPE html>"):
        p.errors.append("no <!DOCTYPE html>")
    if p.errors:
        print("\n".join(p.errors[:20]), file=sys.stderr)
        sys.exit(1)
    json.dump({"elements": p.elements}, sys.stdout)


if __name__ == "__main__":
    main()
