"""What figure a question asks for, as a formula over line items of financial statements.

    formula = parse("What is the FY2019 fixed asset turnover ratio? Fixed asset turnover
                     ratio is defined as: FY2019 revenue / (average PP&E between FY2018 and
                     FY2019).")
    # Div(Item("revenue", 2019), Avg(Item("ppe", None), (2018, 2019)))

A definition the question states ("X is defined as A - B", "Define X as A + B") wins; a
ratio it names without defining gets its textbook definition (_STANDARD: margins, current
and quick ratios, turnover, growth); a line item alone is a lookup. Names of line items are
the general vocabulary of financial statements (_ITEMS: "capex" is what a cash-flow statement
calls "Purchases of property, plant and equipment"), not any one filer's. A question whose
formula names something neither defined nor known is not a figure question: None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# key: (how a question names it, how a statement row labels it, statement, an outflow)
_ITEMS: dict[str, tuple[str, tuple[str, ...], str, bool]] = {
    "capex": (r"capital expenditures?|\bcapex\b|capital spending|purchases? of (?:property|pp&?e)",
              (r"(?:purchases?|payments?|additions?|expenditures?|investments?) (?:of|for|to|in) "
               r"(?:property|land|premises|fixed assets|capital assets)\b.*",
               r"capital (?:expenditures?|spending)", r"purchases? of pp&e"), "cashflow", True),
    "cfo": (r"cash (?:flows? )?(?:from|provided by|generated (?:from|by)) operati\w+|operating "
            r"cash flows?|cash from operations|\bcfo\b|cash flows? from operating activities",
            (r"net cash (?:provided by|from|generated (?:by|from))(?: \(used (?:in|for)\))? "
             r"operati\w+(?: activities)?", r"cash provided by operations"), "cashflow", False),
    "d&a": (r"depreciation(?:,? depletion)? (?:and|&) amortization|\bd&a\b",
            (r"depreciation(?:,? depletion)? and amortization(?: expense)?",), "cashflow", False),
    "dividends paid": (r"dividends? paid", (r"(?:cash )?dividends paid\b.*",), "cashflow", True),
    "revenue": (r"(?:total |net )*(?:revenues?|net sales|sales)\b",
                (r"total (?:net )?revenues?(?:, net)?", r"(?:net )?revenues?(?:, net)?",
                 r"total net sales", r"net sales", r"sales to customers", r"sales"), "income",
                False),
    "cost of sales": (r"cost of (?:goods sold|sales|revenues?|products sold)|\bcogs\b",
                      (r"(?:total )?cost of (?:goods sold|sales|revenues?|products sold)"
                       r"(?: \(.*\))?",), "income", False),
    "gross profit": (r"gross (?:profit|income)", (r"gross (?:profit|income)",), "income", False),
    "operating income": (r"operating (?:income|profit)|income from operations|\bebit\b",
                         (r"operating (?:income|profit)(?: \(loss\))?",
                          r"income (?:\(loss\) )?from operations"), "income", False),
    "net income": (r"net (?:income|earnings|profit)",
                   (r"net (?:income|earnings)(?: \(loss\))?", r"net income attributable to .*"),
                   "income", False),
    "restructuring": (r"restructuring", (r"restructuring\b.*",), "income", False),
    "ppe": (r"\bpp&?n?e\b|\bppne\b|property,? plant,? (?:and|&) equipment|fixed assets",
            (r"property,? plant,? and equipment(?:,| —| -)? net", r"(?:net )?property(?:,)? "
             r"(?:plant )?and equipment(?:,| —)? net", r"net property,? plant and equipment",
             r"land, buildings,? and equipment", r"property and equipment, net",
             r"property,? plant,? and equipment"), "balance", False),
    "current assets": (r"current assets", (r"total current assets",), "balance", False),
    "current liabilities": (r"current liabilities", (r"total current liabilities",), "balance",
                            False),
    "total assets": (r"total assets|\bassets\b", (r"total assets",), "balance", False),
    "inventory": (r"inventor(?:y|ies)", (r"(?:total )?inventories(?:, net)?", r"inventory",
                                         r"merchandise inventories"), "balance", False),
    "cash": (r"cash and (?:cash )?equivalents|\bcash\b", (r"cash and cash equivalents",),
             "balance", False),
    "receivables": (r"receivables?", (r"(?:accounts |trade )?receivables?(?:,? net\b.*| — net"
                                      r"\b.*)?", r"accounts receivable\b.*"), "balance", False),
    "short-term investments": (r"short-term investments|marketable securities",
                               (r"short-term investments", r"marketable securities(?: — "
                                r"current|, current)?"), "balance", False),
}


@dataclass(frozen=True)
class Item:
    key: str
    year: int | None = None  # None: the year the question asks about
    optional: bool = False  # counts as nothing when the statements have no such line


@dataclass(frozen=True)
class Avg:
    item: Item
    years: tuple[int, ...]  # small numbers are offsets from the year asked: (-1, 0)


@dataclass(frozen=True)
class Op:
    op: str  # + - / *
    left: object
    right: object


@dataclass(frozen=True)
class Phrase:
    """A figure no textbook defines ("Adjusted EBITDA"): the row whose label says it."""

    words: str


@dataclass(frozen=True)
class Formula:
    name: str  # what the question calls it ("fixed asset turnover ratio")
    expr: object  # Item | Avg | Op | Phrase
    percent: bool = False  # shown as a percentage
    decimals: int | None = None  # "round to two decimal places"
    unit: str | None = None  # "millions", "billions": the unit asked for
    between: tuple[int, int] | None = None  # a change from one year to another
    rate: bool = False  # the change as a rate of the first: (x[to] - x[from]) / x[from]
    average: tuple[int, ...] | None = None  # the mean of the figure over these years
    year: int | None = None  # the year asked (None: the filing's own)


def _sum(*keys: str) -> object:
    expr: object = Item(keys[0])
    for k in keys[1:]:
        expr = Op("+", expr, Item(k))
    return expr


# Textbook definitions, used when a question names the ratio without defining it.
_STANDARD: tuple[tuple[str, object, bool], ...] = (
    (r"ebitda", _sum("operating income", "d&a"), False),
    (r"free cash flow|\bfcf\b", Op("-", Item("cfo"), Item("capex")), False),
    (r"working capital ratio|current ratio", Op("/", Item("current assets"),
                                                 Item("current liabilities")), False),
    (r"quick ratio|acid[- ]test", Op("/", Op("+", Op("+", Item("cash"), Item(
        "short-term investments", optional=True)), Item("receivables")),
        Item("current liabilities")), False),
    (r"working capital", Op("-", Item("current assets"), Item("current liabilities")), False),
    (r"gross margin", Op("/", Item("gross profit"), Item("revenue")), True),
    (r"operating margin", Op("/", Item("operating income"), Item("revenue")), True),
    (r"net (?:profit )?margin", Op("/", Item("net income"), Item("revenue")), True),
    (r"inventory turnover", Op("/", Item("cost of sales"), Avg(Item("inventory"), (-1, 0))),
     False),
    (r"(?:fixed )?asset turnover", Op("/", Item("revenue"), Avg(Item("ppe"), (-1, 0))), False),
)
_DEFINED = re.compile(r"(?i)(?:^|[.?!]\s+)(?:(?P<name1>[\w &%'-]{2,60}?) (?:here )?is defined "
                      r"as:?|define (?:the )?(?P<name2>[\w &%'-]{2,60}?) as:?|calculate "
                      r"(?P<name3>[\w &%'-]{2,60}?) (?:as|=)) (?P<expr>[^.?!]+(?:\.\d[^.?!]*)*)")
_ASKED = re.compile(r"(?i)\bwhat (?:is|was|were|are) (?:the |its |their )?(?:year[- ]end )?"
                    r"(?P<target>[^?]{3,120}?)(?: for [A-Z][^?]*| of [A-Z][^?]*)?\?")
_WORDS = ((r"\bdivided by\b|\bover\b", "/"), (r"\bplus\b", "+"), (r"\bminus\b|\bless\b", "-"),
          (r"\btimes\b|\bmultiplied by\b", "*"))
_FY = re.compile(r"(?i)\b(?:FY|fiscal(?: year)?)\s*'?(\d{4}|\d{2})\b|\b((?:19|20)\d{2})\b")
_DECIMALS = re.compile(r"(?i)round(?:ed)? (?:your answer |it )?to (\w+) decimal")
_NUMBER_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4}
_UNIT_ASKED = re.compile(r"(?i)\b(?:in|units of) (?:usd |us\$ |\$ ?)?(millions|billions|"
                         r"thousands)\b")
_FILER_DEFINED = re.compile(r"(?i)\bexclud\w+|\borganic\b|\breal (?:change|growth)\b|"
                            r"constant currency|non[- ]gaap|\badjusted\b")
_NOT_A_FIGURE = re.compile(r"(?i)^\s*(?:why|what drove|what (?:are|were) the (?:main |key )?"
                           r"(?:drivers|reasons)|how did|explain|describe)\b")


def _years(text: str) -> list[int]:
    out = []
    for m in _FY.finditer(text):
        y = m.group(1) or m.group(2)
        out.append(int(y) if len(y) == 4 else 2000 + int(y))
    return out


def labels(key: str) -> tuple[str, ...]:
    return _ITEMS[key][1]


def statement_of(key: str) -> str:
    return _ITEMS[key][2]


def is_outflow(key: str) -> bool:
    return _ITEMS[key][3]


class _Parser:
    """Recursive descent over "A + B", "A / (average B between FY2018 and FY2019)"."""

    def __init__(self, text: str, defined: dict[str, object]) -> None:
        for pattern, op in _WORDS:
            text = re.sub(pattern, f" {op} ", text, flags=re.I)
        text = re.sub(r"\[[^\]]*\]", " ", text)  # "[from cash flow statement]"
        self.tokens = [t for t in re.split(r"\s*([-+/*()])\s*", text) if t and t.strip()]
        self.i = 0
        self.defined = defined

    def parse(self) -> object | None:
        try:
            expr = self._expr()
        except ValueError:
            return None
        return expr if self.i == len(self.tokens) else None

    def _peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _expr(self) -> object:
        left = self._term()
        while self._peek() in ("+", "-"):
            op = self.tokens[self.i]
            self.i += 1
            left = Op(op, left, self._term())
        return left

    def _term(self) -> object:
        left = self._factor()
        while self._peek() in ("/", "*"):
            op = self.tokens[self.i]
            self.i += 1
            left = Op(op, left, self._factor())
        return left

    def _factor(self) -> object:
        token = self._peek()
        if token is None:
            raise ValueError("end of formula")
        self.i += 1
        if token == "(":
            inner = self._expr()
            if self._peek() != ")":
                raise ValueError("unclosed parenthesis")
            self.i += 1
            return inner
        return name_to_expr(token, self.defined)


def name_to_expr(phrase: str, defined: dict[str, object]) -> object:
    phrase = phrase.strip(" ,:;")
    years = _years(phrase)
    if re.match(r"(?i)(?:the )?average\b", phrase):
        inner = name_to_expr(re.sub(r"(?i)^(?:the )?average (?:of )?|between.*$", "", phrase),
                             defined)
        if isinstance(inner, Item) and len(years) >= 2:
            return Avg(Item(inner.key), tuple(range(min(years), max(years) + 1)))
        raise ValueError(f"cannot average {phrase!r}")
    bare = re.sub(r"(?i)\b(?:FY|fiscal(?: year)?)\s*'?\d{2,4}\b|\b(?:19|20)\d{2}\b|"
                  r"\b(?:the|unadjusted|reported|gaap|total)\b", " ", phrase)
    bare = " ".join(bare.split()).lower()
    for name, expr in defined.items():
        if name and (bare == name or bare.endswith(name)):
            return expr
    key = _find_item(bare)
    if key is None or len(bare.split()) > 8:
        raise ValueError(f"unknown line item {phrase!r}")
    return Item(key, years[-1] if years else None)


def _standard(target: str, defined: dict[str, object]) -> tuple[object, bool] | None:
    for pattern, expr, percent in _STANDARD:
        m = re.search(rf"(?i){pattern}", target)
        if m:
            return defined.get(m.group().lower(), expr), percent
    return None


_TARGETS = (  # where a question names the figure it wants, first match wins
    re.compile(r"(?i)\bwhat (?:is|was|were|are) (?:the |its |their )?(?:year[- ]end )?"
               r"(?P<target>[^?]{3,160}?)(?:\?|$)"),
    re.compile(r"(?i)\bhow much (?:did|does|has|have|is|was|were) (?P<target>[^?]{3,160}?)"
               r"(?:\?|$)"),
    re.compile(r"(?i)\b(?P<change>grow|increase|decrease|decline|change)\w* (?:its |their |the )?"
               r"(?P<target>[^?]{3,80}?) between (?P<span>[^?]{3,60})"),
    re.compile(r"(?i)\b(?:positive|negative) (?P<target>[\w &'-]{3,40}?)(?: based on| for| in"
               r"|\?|$)"),
    re.compile(r"(?i)\bcalculate (?:the |its )?(?P<target>[\w &%'-]{3,60}?)(?: for| in|;|,|\.|$)"),
)
_CONTEXT_WORDS = re.compile(
    r"(?i)\b(?:directly )?(?:outlined |shown |stated |reported )?(?:in|on|from) (?:the |its |"
    r"[\w.&-]+(?:'s|’s) )?(?:income statements?|balance sheets?|cash flow statements?|"
    r"statements? of [\w ]+|p&l(?: statement)?)\b|\bamount\b|\bfigure\b|\bvalue\b|"
    r"\bquantity of\b|\(in [^)]*\)|\bfor (?:[A-Z][\w.&'’-]*\s?)+(?:\([^)]*\))?")


def _find_item(phrase: str) -> str | None:
    """The line item named first in a phrase ("capex as a % of revenue" -> "capex")."""
    best = None
    for key, (asked, *_rest) in _ITEMS.items():
        m = re.search(rf"(?i){asked}", phrase)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), key)
    return best[1] if best else None


def parse(question: str) -> Formula | None:
    """The figure the question asks for, or None when it asks for no figure we can find."""
    if _NOT_A_FIGURE.search(question):
        return None
    defined: dict[str, object] = {}
    for m in _DEFINED.finditer(question):
        name = " ".join((m.group("name1") or m.group("name2") or m.group("name3")).split())
        name = re.sub(r"(?i)^(?:the |an? )|\b(?:unadjusted|here)\b", "", name).strip().lower()
        expr = _Parser(m.group("expr"), defined).parse()
        if expr is not None:
            defined[" ".join(name.split())] = expr
    found = next((m for pattern in _TARGETS for m in [pattern.search(question)] if m), None)
    decimals = _DECIMALS.search(question)
    places = None
    if decimals:
        word = decimals.group(1).lower()
        places = _NUMBER_WORDS.get(word, int(word) if word.isdigit() else None)
    unit = _UNIT_ASKED.search(question)
    unit_asked = unit.group(1).lower() if unit else None
    if found is None:
        standard = _standard(question, defined)
        if standard is None:
            return None
        m = re.search(rf"(?i){next(p for p, *_ in _STANDARD if re.search(rf'(?i){p}', question))}",
                      question)
        return Formula(m.group(), standard[0], standard[1], places, unit_asked)
    target = " ".join(_CONTEXT_WORDS.sub(" ", found.group("target")).split()).strip(" ,")
    groups = found.groupdict()
    years = _years(target + " " + (groups.get("span") or ""))
    percent = bool(re.search(r"(?i)%|percent", target))
    name = " ".join(re.sub(r"(?i)\b(?:FY|fiscal(?: year)?)\s*'?\d{2,4}\b|\b(?:19|20)\d{2}\b|"
                           r"\bthe\b|\b\d+[- ]year\b", " ", target).split()).strip(" -")
    change = groups.get("change") or re.search(r"(?i)growth rate|\bgrowth\b|change in|"
                                               r"\bchanged?\b", name)
    if change and _FILER_DEFINED.search(question):
        return None  # "real", "organic", "excluding FX": the filer's measure, not arithmetic
    if change and len(set(years)) >= 2:
        key = _find_item(re.sub(r"(?i)growth rate|growth|change in", " ", name))
        item: object = Item(key) if key else Item("", None)
        label = None if key else re.sub(r"(?i)growth rate|growth|change in|\bchanged?\b|"
                                        r"\bbetween\b.*$", " ", name)
        # A growth rate is relative; the change of a rate ("effective tax rate") is in points.
        rate = bool(re.search(r"(?i)growth|% change", name)) and not groups.get("change")
        return Formula(name, item if key else Phrase(" ".join(label.split())), rate, places,
                       None, (min(years), max(years)), rate)
    if re.search(r"(?i)\badjusted\b", name) and not re.search(r"(?i)unadjusted", name):
        # An adjusted (non-GAAP) figure is the filer's own: only a row that states it will do.
        return Formula(name, Phrase(name), percent, places, unit_asked)
    expr: object | None = None
    share = re.search(r"(?i)^(?:\d+[- ]year )?(?:average (?:of )?)?(?P<a>.+?) as an? "
                      r"(?:%|percent(?:age)?) of (?P<b>.+)$", name)
    if share:
        expr = _Parser(f"{share.group('a')} / {share.group('b')}", defined).parse()
        percent = expr is not None
    if expr is None and re.search(r"(?i)\b(?:less|minus|plus|divided by)\b| [-+/] ", name):
        expr = _Parser(name, defined).parse()
    if expr is None:
        lowered = name.lower().replace("unadjusted ", "")
        expr = next((e for n, e in defined.items() if n in lowered), None)
    if expr is None:
        standard = _standard(name, defined)
        if standard is not None:
            expr, percent = standard[0], standard[1] or percent
    if expr is not None and re.search(r"(?i)\bmargin\b", name) and not _is_ratio(expr):
        expr, percent = Op("/", expr, Item("revenue")), True
    if expr is None:
        key = _find_item(name)
        if key is None:
            return None
        expr = Item(key)
    average = tuple(range(min(years), max(years) + 1)) if re.search(
        r"(?i)\baverage\b", target) and len(set(years)) >= 2 and not isinstance(expr, Avg) \
        else None
    return Formula(name, expr, percent, places, unit_asked, None, False, average,
                   years[-1] if years and not average else None)


def _is_ratio(expr: object) -> bool:
    return isinstance(expr, Op) and expr.op == "/"
