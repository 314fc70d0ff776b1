"""Document routing: which documents a question names, and which of their pages it needs.

A question that names a company ("PepsiCo", "JnJ", "3M's FY2018 capex") is answered from that
company's documents: retrieval is filtered to them, and among several (two years of filings),
the one whose year, quarter and form fit the question is preferred; when one fits the period
asked clearly better than the others (it reports on FY2018, they only mention it), retrieval
is filtered to it. A question that names no
document changes nothing. Names are the documents' own (see loading/identity.py); one that is
an ordinary English word ("Block", "Square", "General") matches only capitalised, and a ticker
only in capitals ("PEP").

A question about a figure whose inputs sit on a financial statement ("quick ratio" on the
balance sheet, "capex" on the cash-flow statement) prefers the pages that present it: the
analyst's words are not the statement's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from clusterqa.types import StoredDocument

_FY = re.compile(r"(?i)\b(?:FY|fiscal(?: year)?)\s*'?(\d{4}|\d{2})(?:\s*Q([1-4]))?\b")
_YEAR = re.compile(r"\b(19[89]\d|20[0-4]\d)\b(?:\s*Q([1-4]))?")
_QUARTER = re.compile(r"(?i)\bQ([1-4])\b|\b(first|second|third|fourth)[- ]quarter\b|\b([1-4])Q\b")
_QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_FORMS = (("10-K", re.compile(r"(?i)\b10-?K\b|annual report")),
          ("10-Q", re.compile(r"(?i)\b10-?Q\b|quarterly report")),
          ("8-K", re.compile(r"(?i)\b8-?K\b")),
          ("earnings release", re.compile(r"(?i)\bearnings (?:release|report|call)\b|"
                                          r"press release|\bguidance\b")))
# Which statement holds a metric's inputs: standard finance vocabulary (not tuned to any one
# question, but written while reading FinanceBench's dev failures: see BENCHMARKS.md).
_NEEDS = (
    (re.compile(r"(?i)cash flow statement|statement of cash flows?|capex|capital expenditure|"
                r"free cash flow|\bfcf\b|operating activities|cash from operations|"
                r"depreciation|\bd&a\b|dividends? paid|ebitda"), ("cashflow",)),
    (re.compile(r"(?i)balance sheet|statement of financial position|\bpp&?n?e\b|property,? "
                r"plant|working capital|quick ratio|current ratio|total assets|inventor(?:y|ies)"
                r"|liquidity|debt|liabilities|shareholders'? equity|book value|capital.intensive"
                r"|fixed asset|turnover|return on assets|\broa\b"), ("balance",)),
    (re.compile(r"(?i)income statement|statement of (?:income|operations|earnings)|profit and "
                r"loss|\bp&l\b|revenue|net sales|gross margin|operating margin|operating income"
                r"|\bebit|net income|\beps\b|earnings per share|cost of (?:sales|goods)|\bcogs\b"
                r"|restructuring|turnover|capital.intensive|return on assets|\broa\b|ebitda"),
     ("income",)),
)
_KINDS = (("cashflow", re.compile(r"(?i)cash\s*flows?")),
          ("balance", re.compile(r"(?i)balance\s*shee\s*ts?|financial\s+(?:position|condition)")),
          ("income", re.compile(r"(?i)\b(?:income|operations|earnings|incom e)\b")))
# In units of the fused (z-scored) score. 2.0 rather than 1.0: a question about "FY2023 Q1"
# was answered from that year's 8-K over the Q1 release (fit 0.6 against 1.0), so 0.4 z
# did not outweigh the 8-K's wording.
FIT_BOOST = 2.0
STATEMENT_BOOST = 1.0
NARROW = 0.35  # a fit this far below the best one's is another period's filing


@dataclass(frozen=True)
class Route:
    docs: frozenset[str] = frozenset()  # the documents the question names (none: all)
    fit: Mapping[str, float] = field(default_factory=dict)  # 0..1 year/quarter/form fit
    statements: frozenset[str] = frozenset()  # the statements whose pages it needs

    def boost(self, doc_id: str, section: str | None) -> float:
        """What to add to a chunk's fused score."""
        out = FIT_BOOST * self.fit.get(doc_id, 0.0)
        kind = statement_kind(section) if section and self.statements else None
        return out + (STATEMENT_BOOST if kind in self.statements else 0.0)


def statement_kind(section: str) -> str | None:
    if re.search(r"(?i)comprehensive|equity|changes", section):
        return None
    return next((kind for kind, pattern in _KINDS if pattern.search(section)), None)


class Router:
    def __init__(self, documents: Mapping[str, StoredDocument]) -> None:
        self.documents = documents
        self._patterns: list[tuple[re.Pattern, str]] = []  # (name pattern, doc_id)
        for doc_id, doc in documents.items():
            for ticker in doc.meta.tickers:
                if len(ticker) >= 2:
                    self._patterns.append((re.compile(
                        rf"(?<![\w&]){re.escape(ticker)}(?:'s|’s)?(?![\w&])"), doc_id))
            for alias in doc.meta.aliases:
                self._patterns.append((_alias_pattern(alias), doc_id))

    def route(self, question: str) -> Route:
        docs = frozenset(doc_id for pattern, doc_id in self._patterns if pattern.search(question))
        statements = frozenset(kind for pattern, kinds in _NEEDS if pattern.search(question)
                               for kind in kinds)
        if len(docs) <= 1:
            return Route(docs, {}, statements)
        years, quarter = periods(question)
        form = next((name for name, pattern in _FORMS if pattern.search(question)), None)
        fit = {d: _fit(self.documents[d], years, quarter, form) for d in docs}
        best = max(fit.values())
        if best >= 0.6:
            # The filing that reports on the period asked, over those that only mention it
            # (a 10-K's comparative year, the 8-K of the same year): filtered to.
            docs = frozenset(d for d in docs if fit[d] > best - NARROW)
        return Route(docs, fit, statements)


def _alias_pattern(alias: str) -> re.Pattern:
    """An ordinary word ("block") matches only written as a name ("Block")."""
    if " " not in alias and _ordinary(alias):
        head, rest = re.escape(alias[:1].upper()), re.escape(alias[1:])
        return re.compile(rf"(?<![\w&]){head}(?i:{rest})(?:'s|’s)?(?![\w&])")
    return re.compile(rf"(?i)(?<![\w&]){re.escape(alias)}(?:'s|’s)?(?![\w&])")


@lru_cache(maxsize=4096)
def _ordinary(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") >= 4.0


def periods(question: str) -> tuple[list[int], int | None]:
    """The years a question asks about (the one it is asked *as of*, a fiscal year, last) and
    the quarter."""
    fiscal, plain, quarter = [], [], None
    for m in _FY.finditer(question):
        y = m.group(1)
        fiscal.append(int(y) if len(y) == 4 else 2000 + int(y))
        quarter = int(m.group(2)) if m.group(2) else quarter
    for m in _YEAR.finditer(question):
        plain.append(int(m.group(1)))
        quarter = int(m.group(2)) if m.group(2) else quarter
    q = _QUARTER.search(question)
    if q and quarter is None:
        quarter = int(q.group(1) or q.group(3) or _QUARTER_WORDS[q.group(2).lower()])
    return sorted(set(plain) - set(fiscal)) + sorted(set(fiscal)), quarter


def _fit(doc: StoredDocument, years: list[int], quarter: int | None, form: str | None
         ) -> float:
    """0..1: the filing reports on the (last) year asked, the quarter, the form."""
    meta, score = doc.meta, 0.0
    if years and meta.year:
        if meta.year == years[-1]:
            score += 0.6
        elif 0 < meta.year - years[-1] <= 2:
            score += 0.2  # a later filing repeats the year as a comparative
    if quarter is not None:
        score += 0.2 if meta.quarter == quarter else 0.0
    elif meta.quarter is None:
        score += 0.1  # a full-year question fits a full-year filing
    if form is not None and meta.form == form:
        score += 0.2
    return score
