"""Who a document is by or about, what it is and which period it covers, read from the
document itself: what a question can name it by ("PepsiCo", "JnJ", "the 2022 10-K").

    info = describe(doc_id, file_stem, pdf_title, first_pages)

Written for the reports investors bring, company filings above all, by rules that know no
particular document: names come from the file name, the PDF title (when it is a real title,
not "0001512673-21-000008" or "Microsoft Word - F20_10K"), the SEC cover page ("<NAME>\n(Exact
name of registrant as specified in its charter)"), legal-suffix names on the first pages
("PepsiCo, Inc.", "3M Company", "Johnson & Johnson (NYSE: JNJ)") and ticker symbols. Aliases
are made from those: drop the legal suffix ("PepsiCo, Inc." -> "PepsiCo"), initials of "A & B"
names ("Johnson & Johnson" -> "J&J", "JnJ"), the first word when it is distinctive ("Verizon
Communications" -> "Verizon", not "General Mills" -> "General").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_LEGAL = (r"(?i:,?\s*&\s*Co\.?|,?\s+(?:Inc\.?|Incorporated|Corporation|Corp\.?|Company|Co\.|"
          r"plc|PLC|Ltd\.?|Limited|LLC|N\.V\.|S\.A\.|AG|SE|Holdings?|Group))+")
_REGISTRANT = re.compile(r"([^\n]{2,80})\n\s*\(?\s*Exact name of (?:the )?registrant", re.I)
# Covers without that line (3M's): the name is the line after the commission file number.
_AFTER_FILE_NO = re.compile(r"Commission file number[^\n]*\n\s*([A-Z0-9][^\n]{1,60})\n", re.I)
_NOT_A_NAME = re.compile(r"(?i)\b(?:stock exchange|documents incorporated|exhibit|january|"
                         r"february|march|april|may|june|july|august|september|october|"
                         r"november|december|"
                         r"state of|delaware|securities|commission)\b|^(?:the|and|of|inc|a)\b")
_LEGAL_NAME = re.compile(r"\b((?:[A-Z0-9][\w&.'-]*[ ]?(?:&[ ])?){1,4}?)" + _LEGAL + r"\b")
_TICKER_TABLE = re.compile(r"(?:^|\s)([A-Z]{1,5})\s+(?:The\s+)?(?:New York Stock Exchange|NYSE|"
                           r"Nasdaq|NASDAQ)", re.M)
_TICKER_PAREN = re.compile(r"\((?:NYSE|NASDAQ|Nasdaq|ASX|LSE)\s*:\s*([A-Z.]{1,6})\)")
_JUNK_TITLE = re.compile(r"^(?:\d{6,}-\d{2}-\d{3,}|microsoft word|untitled|united states "
                         r"securities|form \d+-?[a-z]? for|\d+-?[kq]\s*-)", re.I)
_FORM = re.compile(r"\bFORM\s+(10-K|10-Q|8-K|20-F|6-K|40-F)\b", re.I)
_FY_END = re.compile(r"for the (?:fiscal )?year ended\s+([A-Z][a-z]+\.? \d{1,2}, (\d{4}))", re.I)
_Q_END = re.compile(r"for the quarterly period ended\b[^\d]{0,40}?([A-Z][a-z]+\.? \d{1,2},?"
                    r"\s*(\d{4}))", re.I)
_REPORT_DATE = re.compile(r"Date of (?:Report|earliest event reported)[^:]*:\s*([A-Z][a-z]+\.? "
                          r"\d{1,2}, (\d{4}))", re.I)
_QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_RELEASE_Q = re.compile(r"\b(?:(First|Second|Third|Fourth)[- ]Quarter|Q([1-4]))\s*(?:and [\w -]+)?"
                        r"(?:Fiscal\s+)?(\d{4})|\b(\d{4})\s+(First|Second|Third|Fourth)[- ]Quarter"
                        r"|\b([1-4])Q\s*(?:FY)?(\d{2,4})", re.I)
_YEAR = re.compile(r"\b(19[89]\d|20[0-4]\d)\b")


@dataclass
class DocInfo:
    doc_id: str
    names: list[str] = field(default_factory=list)  # display names, best first
    aliases: set[str] = field(default_factory=set)  # lower-cased name match keys
    tickers: set[str] = field(default_factory=set)
    form: str | None = None  # 10-K, 10-Q, 8-K, earnings release
    year: int | None = None  # fiscal year (or year of the event) it reports on
    quarter: int | None = None
    period: str | None = None  # "fiscal year ended December 31, 2022"

    @property
    def label(self) -> str:
        """"PepsiCo, Inc. — 10-K FY2022": what a chunk's context names the document by."""
        name = self.names[0] if self.names else self.doc_id
        when = ""
        if self.year:
            when = f"FY{self.year}" + (f" Q{self.quarter}" if self.quarter else "")
        bits = " ".join(b for b in (self.form, when) if b)
        return f"{name} — {bits}" if bits else name


def _strip_legal(name: str) -> str:
    return re.sub(_LEGAL + r"\s*$", "", name.strip(" ,.")).strip(" ,.")


def _titlecase_if_shouting(name: str) -> str:
    return name.title() if name.isupper() and len(name) > 4 else name


def aliases_for(name: str, common_words: set[str]) -> set[str]:
    """Match keys for a company name, by rule."""
    out = set()
    base = _strip_legal(name)
    if not base:
        return out
    out.add(base.lower())
    out.add(name.strip(" ,.").lower())
    words = re.findall(r"[\w'-]+|&", base)
    if "&" in words or " and " in base.lower():
        initials = [w[0] for w in words if w not in ("&", "and") and w[0].isalpha()]
        if len(initials) >= 2:
            out |= {"&".join(initials).lower(), "n".join(initials).lower(),
                    "".join(initials).lower()}
    first = words[0] if words else ""
    if len(words) > 1 and len(first) >= 4 and first.lower() not in common_words:
        out.add(first.lower())
    squashed = re.sub(r"[^a-z0-9&]", "", base.lower())
    if len(squashed) >= 3:
        out.add(squashed)
    return {a for a in out if len(a) >= 2}


def describe(doc_id: str, stem: str, pdf_title: str | None, first_pages: list[str],
             common_words: set[str] = frozenset()) -> DocInfo:
    """``first_pages``: the text of the document's first two or three pages."""
    info = DocInfo(doc_id)
    head = "\n".join(first_pages)
    names: Counter[str] = Counter()
    cover = first_pages[0] if first_pages else ""
    # An SEC form's cover says so at its top (a press release may name the SEC further down).
    is_cover = "EXCHANGE COMMISSION" in re.sub(r"\s+", " ", cover[:600].upper())
    m = _REGISTRANT.search(head) or (_AFTER_FILE_NO.search(cover) if is_cover else None)
    if m:
        names[m.group(1).strip(" _")] += 5
    for m in _LEGAL_NAME.finditer(head):
        full = m.group(0).strip()
        if len(full.split()) <= 6 and _strip_legal(full):
            names[full] += 1
    for m in re.finditer(r"([A-Z][\w&.' -]{1,40}?)\s*\((?:NYSE|NASDAQ|Nasdaq)\s*:", head):
        names[m.group(1).strip()] += 2
    if pdf_title and not _JUNK_TITLE.search(pdf_title.strip()):
        # "10-K - 02/07/2019 - 3M Company" -> "3M Company"
        names[re.split(r"\s+-\s+", pdf_title.strip())[-1]] += 1
    names = Counter({n: c for n, c in names.items() if not _NOT_A_NAME.search(n)
                     and len(_strip_legal(n)) >= 2 and re.search(r"[A-Za-z]{2}", n)})
    # Other companies named on the first pages (a merger partner) are not this document:
    # aliases come from the best name and names seen more than once.
    trusted = [n for i, (n, c) in enumerate(names.most_common(3)) if i == 0 or c >= 2]
    info.names = [n for n, _ in names.most_common(3)]
    stem_words = [w for w in re.split(r"[_\-\s]+", stem) if w and not re.search(r"\d", w)
                  and w.upper() not in {"10K", "10Q", "8K", "EARNINGS", "DATED", "REPORT"}]
    if stem_words:
        stem_name = " ".join(stem_words)
        info.names.append(stem_name.title() if stem_name.isupper() else stem_name)
    for name in trusted + info.names[len(names.most_common(3)):]:
        info.aliases |= aliases_for(name, common_words)
    info.tickers = set(_TICKER_TABLE.findall(cover)[:1])
    info.tickers |= set(_TICKER_PAREN.findall(head))
    # tickers stay apart from name aliases: they match only in capitals ("PEP", "JPM")

    form = _FORM.search(cover[:3000]) if is_cover else None
    if form:
        info.form = form.group(1).upper()
    elif re.search(r"(?i)\breports?\b.{0,80}\bresults\b|for immediate release|press release",
                   head[:3000]):
        info.form = "earnings release"
    ended = None
    # A 10-Q's cover names the quarter it reports on; it may mention a fiscal year too.
    order = (_Q_END, _FY_END, _REPORT_DATE) if info.form == "10-Q" else \
        (_FY_END, _Q_END, _REPORT_DATE)
    for pattern in order:
        m = pattern.search(head)
        if m:
            info.period = " ".join(m.group(0).split())
            ended = m.group(1)
            info.year = int(m.group(2))
            if pattern is _FY_END and re.match(r"(?i)jan\w*\.? [1-9]\b", m.group(1)):
                info.year -= 1  # 52/53-week years: "ended January 1, 2023" is fiscal 2022
            break
    if info.form in (None, "earnings release", "10-Q") or info.year is None:
        m = _RELEASE_Q.search(head[:4000])
        if m:
            g = m.groups()
            if g[0] or g[1]:
                info.quarter = _QUARTER_WORDS[g[0].lower()] if g[0] else int(g[1])
                info.year = int(g[2])
            elif g[3]:
                info.year, info.quarter = int(g[3]), _QUARTER_WORDS[g[4].lower()]
            else:
                info.quarter, y = int(g[5]), g[6]
                info.year = int(y) if len(y) == 4 else 2000 + int(y)
    if info.year is None:
        years = Counter(int(y) for y in _YEAR.findall(head))
        if years:
            info.year = years.most_common(1)[0][0]
    if info.form == "10-Q" and info.quarter is None and ended:
        # The calendar quarter its period ends in ("March 31, 2021" -> Q1).
        info.quarter = {"mar": 1, "jun": 2, "sep": 3}.get(ended.split()[0].lower()[:3])
    return info
