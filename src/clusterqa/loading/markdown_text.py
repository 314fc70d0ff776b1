"""Plain text from Markdown: headings and list items become their own paragraphs.

Kept deliberately small (no Markdown library): the corpus is prose and bullet lists, and what
matters is that no sentence is lost and the markup does not reach the passages.
"""

from __future__ import annotations

import re

_MD_RULES = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images -> alt text
    # links -> text; the URL may hold one level of balanced parentheses (Wikipedia style)
    (re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^()\s]*\))+(?:\s+\"[^\"]*\")?\)"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),  # *em*
    (re.compile(r"`([^`\n]+)`"), r"\1"),  # inline code
]
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_BULLET = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_MD_ORDERED_NOT_ONE = re.compile(r"^\s*(?!0*1[.)])\d{1,3}[.)]\s+")
_MD_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")


def markdown_to_text(md: str) -> str:
    out: list[str] = []
    block = ""  # "" after a blank line, heading or rule; "list" in a list; "text" in prose
    for line in md.splitlines():
        # An ordered list only interrupts a paragraph when it starts at 1 (CommonMark): a
        # wrapped line of prose beginning "450. Most..." is text, not a list item.
        if block == "text" and _MD_ORDERED_NOT_ONE.match(line):
            out.append(line)
            continue
        if not line.strip() or _MD_RULE.match(line) or _MD_HEADING.match(line):
            block = ""
        elif _MD_BULLET.match(line):
            block = "list"
        elif not block:
            block = "text"
        if _MD_RULE.match(line):
            out.append("")
            continue
        heading = _MD_HEADING.match(line)
        if heading:
            out.extend(["", heading.group(1), ""])
            continue
        if _MD_BULLET.match(line):
            out.extend(["", _MD_BULLET.sub("", line, count=1)])
            continue
        out.append(line)
    text = "\n".join(out)
    for pattern, repl in _MD_RULES:
        text = pattern.sub(repl, text)
    return text
