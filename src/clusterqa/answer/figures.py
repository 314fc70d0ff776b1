"""Figure answers: the figure a question asks for, read from a table row of the filing it
names, with its page; or a calculation on such figures, each input quoted and cited, the
formula shown and the result computed exactly (Decimal, rounded only where shown).

    Purchases of property, plant and equipment (PP&E), 2018: (1,577) (in millions) [1].
    Free cash flow (FY2020): 3,215.4 = 3,676.2 − 460.8 (in millions). Net cash provided by
    operating activities, May 31, 2020: 3,676.2 [1]; Purchases of land, buildings, and
    equipment, May 31, 2020: (460.8) [1].

Rows come from the table rows loading/tables.py writes ("Label — 2018: 1,577; 2017: ...
(in millions)") in the one filing the question is answered from: the top passage's. A row
on the statement the line item belongs to (capex on the cash-flow statement) is preferred.
Every input must be found in a column that names the year unambiguously, in one unit;
otherwise there is no figure answer and the quoting answerer answers (or abstains) as before.
A wrong figure costs an investor more than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from clusterqa.answer import formulas as fx
from clusterqa.loading.tables import Row, parse_row
from clusterqa.retrieve import Retrieval
from clusterqa.retrieve.routing import statement_kind
from clusterqa.store.reader import CorpusView
from clusterqa.types import Answer, Citation

_UNITS = {"thousands": Decimal(1_000), "millions": Decimal(1_000_000),
          "billions": Decimal(1_000_000_000)}
# How a question may qualify a figure that a row's label does not repeat.
_QUALIFIERS = frozenset(["non", "gaap", "reported", "unadjusted", "s"])
_STOP = frozenset(["the", "a", "an", "of", "and", "in", "for", "its", "their", "to", "on",
                   "by", "from", "as", "with", "at"])


@dataclass(frozen=True)
class Found:
    """One figure read from one row: what the answer quotes and cites."""

    chunk_id: str
    page: int | None
    label: str
    column: str
    written: str  # as the row writes it: "(1,577)"
    value: Decimal
    unit: str | None
    line: tuple[int, int]  # the row's offsets in its chunk


def number(written: str) -> Decimal | None:
    """ "(1,577)" -> -1577; "$5,363" -> 5363; "—" -> 0; "3.0%" -> 3.0."""
    text = written.replace("$", "").replace(",", "").replace("%", "").strip()
    if text in ("—", "–", "-", "--"):
        return Decimal(0)
    negative = (text.startswith("(") and text.endswith(")")) or text.startswith("-")
    try:
        value = Decimal(text.strip("()-"))
    except InvalidOperation:
        return None
    return -value if negative else value


def _rows(view: CorpusView, doc_id: str) -> tuple:
    """Every table row of a document: (chunk, row, offsets), in reading order (read once
    per corpus view: a 500-page 10-K's rows take about 0.1 s)."""
    key = ("table rows", doc_id)
    if key not in view.memo:
        view.memo[key] = _read_rows(view, doc_id)
    return view.memo[key]


def _read_rows(view: CorpusView, doc_id: str) -> tuple:
    doc = view.documents[doc_id]
    out = []
    for cid in doc.chunk_ids:
        chunk = view.chunks.get(cid)
        if chunk is None or " — " not in chunk.text:
            continue
        offset = 0
        for line in chunk.text.split("\n"):
            row = parse_row(line) if ": " in line else None
            if row is not None:
                out.append((chunk, row, (offset, offset + len(line))))
            offset += len(line) + 1
    return tuple(out)


def _norm(label: str) -> str:
    label = re.sub(r"\s*[—–]\s*", ", ", label.lower())
    label = re.sub(r"\(note \d+\)|\(\d\)|(?<=[a-z])\d(?:,\d)*\b", "", label)
    return " ".join(label.replace("’", "'").split()).strip(" ,:")


_PART_YEAR = re.compile(r"(?i)\b(?:three|six|nine|3|6|9)[- ]months?\b|\bquarter|\bQ[1-4]\b"
                        r"|\b(?:first|second|third|fourth) half\b|\bH[12]\b")


def _column(row: Row, year: int, quarter: int | None) -> tuple[str, str] | None:
    """The one cell of ``row`` for ``year``: a full-year column unless a quarter is asked."""
    cells = [(c, v) for c, v in row.cells if re.search(rf"\b{year}\b", c)
             and not re.search(r"(?i)change|%$|variance", c)]
    if quarter is None:
        # A year's figure is never a quarter's or a half's: a row with only those columns
        # ("Three Months Ended June 30, 2023") leaves the year to a row that states it.
        cells = [(c, v) for c, v in cells if not _PART_YEAR.search(c)]
        if len(cells) > 1:
            full = [(c, v) for c, v in cells if re.search(r"(?i)full|twelve|year", c)]
            cells = full or cells
    elif len(cells) > 1:
        cells = [(c, v) for c, v in cells if re.search(rf"(?i)Q{quarter}\b", c)] or cells
    if len({v for _, v in cells}) != 1:
        return None
    return cells[0]


class FigureAnswerer:
    """Answers figure questions from table rows; None when it cannot be sure."""

    def answer(self, retrieval: Retrieval, region: str | None = None) -> Answer | None:
        formula = fx.parse(retrieval.question.text)
        if formula is None or not retrieval.hits:
            return None
        view = retrieval.view
        ranked = {h.chunk_id: i for i, h in enumerate(retrieval.hits)}
        # The filings retrieval ranked first (routing has kept them to the one the question
        # names), in order: the first that states every input answers, and only it is cited.
        for doc_id in dict.fromkeys(view.chunks[h.chunk_id].doc_id for h in retrieval.hits[:5]):
            answer = self._from(formula, view, doc_id, ranked, retrieval, region)
            if answer is not None:
                return answer
        return None

    def _from(self, formula: fx.Formula, view: CorpusView, doc_id: str, ranked: dict,
              retrieval: Retrieval, region: str | None) -> Answer | None:
        doc = view.documents[doc_id]
        year = formula.year or doc.meta.year
        if year is None:
            return None
        rows = _rows(view, doc_id)
        if not rows:
            return None
        lookup = _Lookup(rows, ranked, doc.meta.aliases, None)
        try:
            if formula.between:
                text, used = _change(formula, lookup)
            elif formula.average:
                values = [_evaluate(formula.expr, y, lookup) for y in formula.average]
                result = sum(values, Decimal(0)) / len(values)
                shown = ", ".join(f"{y}: " + (f"{_fmt(v * 100, 2)}%" if formula.percent
                                               else _fmt(v, 2))
                                  for y, v in zip(formula.average, values, strict=True))
                text = _result_text(formula, result, f"the average of {shown}", None)
                used = lookup.used
            else:
                result = _evaluate(formula.expr, year, lookup)
                used = lookup.used
                if isinstance(formula.expr, fx.Item | fx.Phrase):
                    text = _plain_text(formula, used[0])
                else:
                    unit = None if isinstance(formula.expr, fx.Op) and \
                        formula.expr.op == "/" else lookup.unit
                    text = _result_text(formula, result, _shown(formula.expr, year, lookup),
                                        unit)
        except (LookupError, ArithmeticError, InvalidOperation):
            return None
        return _compose(retrieval, region, text, used, view)


class _Lookup:
    def __init__(self, rows: tuple, ranked: dict[str, int], aliases, quarter) -> None:
        self.rows, self.ranked, self.quarter = rows, ranked, quarter
        self.aliases = {a.lower() for a in aliases}
        self.used: list[Found] = []
        self.unit: str | None = None
        self._seen: dict[tuple[str, int], Decimal] = {}
        self.missing: set[tuple[str, int]] = set()  # optional inputs the filing lacks

    def item(self, item: fx.Item | fx.Phrase, year: int) -> Decimal:
        key = (self._key(item), year)
        if key not in self._seen:  # an input read twice (shown, then computed) is one row
            self._seen[key] = self._read(item, year)
        return self._seen[key]

    def _read(self, item: fx.Item | fx.Phrase, year: int) -> Decimal:
        found = self._find(item, year)
        if found is None:
            if isinstance(item, fx.Item) and item.optional:
                self.missing.add((self._key(item), year))
                return Decimal(0)
            raise LookupError(f"no row for {item} in {year}")
        if found.unit and self.unit and found.unit != self.unit:
            raise LookupError("inputs in different units")
        self.unit = self.unit or found.unit
        self.used.append(found)
        value = found.value
        return abs(value) if isinstance(item, fx.Item) and fx.is_outflow(item.key) else value

    @staticmethod
    def _key(item: fx.Item | fx.Phrase) -> str:
        return item.key if isinstance(item, fx.Item) else item.words

    def _find(self, item: fx.Item | fx.Phrase, year: int) -> Found | None:
        best: tuple | None = None
        for order, (chunk, row, span) in enumerate(self.rows):
            label = _norm(row.label)
            rank = self._match(item, label)
            if rank is None and ": " in label:  # "Investing activities: Capital expenditures"
                rank = self._match(item, label.rsplit(": ", 1)[1])
            if rank is None:
                continue
            cell = _column(row, year, self.quarter)
            if cell is None:
                continue
            value = number(cell[1])
            if value is None:
                continue
            on_statement = isinstance(item, fx.Item) and chunk.section is not None and \
                statement_kind(chunk.section) == fx.statement_of(item.key)
            score = (not on_statement, rank, self.ranked.get(chunk.chunk_id, 99), order)
            if best is None or score < best[0]:
                best = (score, Found(chunk.chunk_id, chunk.page, row.label, cell[0], cell[1],
                                     value, row.unit, span))
        return None if best is None else best[1]

    def _match(self, item: fx.Item | fx.Phrase, label: str) -> int | None:
        if isinstance(item, fx.Item):
            for rank, pattern in enumerate(fx.labels(item.key)):
                if re.fullmatch(pattern, label):
                    return rank
            return None
        # A phrase: the row must say every word the phrase does (the company's own name
        # aside), and nothing more than "total" or "net".
        words = {w for w in re.findall(r"[a-z0-9&]+", item.words.lower())
                 if w not in _STOP and w not in self.aliases and w not in _QUALIFIERS}
        words -= {w for name in re.findall(r"([\w&.-]+)(?:'s|’s)", item.words.lower())
                  for w in re.findall(r"[a-z0-9&]+", name)}  # the filer's name
        words -= {w for a in self.aliases for w in a.split()}
        have = set(re.findall(r"[a-z0-9&]+", label)) - _STOP
        if words and words <= have and not have - words - {"total", "net"}:
            return 0
        return None


def _evaluate(expr: object, year: int, lookup: _Lookup) -> Decimal:
    if isinstance(expr, fx.Item):
        return lookup.item(expr, expr.year or year)
    if isinstance(expr, fx.Phrase):
        return lookup.item(expr, year)
    if isinstance(expr, fx.Avg):
        years = [y if y > 1900 else year + y for y in expr.years]
        values = [lookup.item(expr.item, y) for y in years]
        return sum(values, Decimal(0)) / len(values)
    if isinstance(expr, fx.Op):
        left, right = _evaluate(expr.left, year, lookup), _evaluate(expr.right, year, lookup)
        if expr.op == "/" and not right:
            raise ZeroDivisionError("a ratio over nothing")
        return {"+": left + right, "-": left - right, "*": left * right,
                "/": left / right if right else right}[expr.op]
    raise LookupError(f"cannot evaluate {expr!r}")


def _shown(expr: object, year: int, lookup: _Lookup) -> str:
    """The formula with the figures put in: "3,676.2 − 460.8"."""
    if isinstance(expr, fx.Item | fx.Phrase):
        value = _evaluate(expr, year, lookup)
        if isinstance(expr, fx.Item) and (expr.key, expr.year or year) in lookup.missing:
            return f"0 (no {expr.key} line)"
        return _fmt(value)
    if isinstance(expr, fx.Avg):
        years = [y if y > 1900 else year + y for y in expr.years]
        inner = " + ".join(_fmt(lookup.item(expr.item, y)) for y in years)
        return f"({inner}) / {len(years)}"
    if isinstance(expr, fx.Op):
        sign = {"-": "−", "*": "×"}.get(expr.op, expr.op)
        left, right = _shown(expr.left, year, lookup), _shown(expr.right, year, lookup)
        if expr.op in "/*" and isinstance(expr.left, fx.Op) and expr.left.op in "+-":
            left = f"({left})"
        if isinstance(expr.right, fx.Op | fx.Avg) and (expr.op in "/*" or (
                isinstance(expr.right, fx.Op) and expr.right.op in "+-")):
            right = f"({right})"
        return f"{left} {sign} {right}"
    raise LookupError(f"cannot show {expr!r}")


def _fmt(value: Decimal, places: int | None = None) -> str:
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return f"{value:,.{places}f}"
    if value == value.to_integral_value():
        return f"{int(value):,}"
    text = f"{value.normalize():,f}"
    return text


def _result_text(formula: fx.Formula, result: Decimal, shown: str, unit: str | None) -> str:
    places = formula.decimals
    if formula.percent:
        value = _fmt(result * 100, 1 if places is None else places) + "%"
        shown = f"({shown}) × 100" if "/" in shown and not formula.average else shown
    else:
        unit = f" (in {unit})" if unit else ""
        exact = result == result.quantize(Decimal("0.0001"))  # a sum of stated figures
        value = _fmt(result, None if places is None and exact else
                     2 if places is None else places) + unit
    return f"{formula.name[:1].upper()}{formula.name[1:]}: {value} = {shown}."


def _plain_text(formula: fx.Formula, found: Found) -> str:
    unit = f" (in {found.unit})" if found.unit else ""
    text = f"{found.label}, {found.column}: {found.written}{unit}"
    asked = formula.unit
    if asked and found.unit and asked != found.unit and found.unit in _UNITS:
        converted = abs(found.value) * _UNITS[found.unit] / _UNITS[asked]
        text += f" = {_fmt(converted)} {asked[:-1]}"
    return text + "."


def _change(formula: fx.Formula, lookup: _Lookup) -> tuple[str, list[Found]]:
    first, last = formula.between
    before = _evaluate(formula.expr, first, lookup)
    after = _evaluate(formula.expr, last, lookup)
    a, b = lookup.used[0], lookup.used[-1]
    if formula.rate:
        rate = (after - before) / abs(before) * 100
        text = (f"{formula.name[:1].upper()}{formula.name[1:]} {first}–{last}: "
                f"{_fmt(rate, 1 if formula.decimals is None else formula.decimals)}% = "
                f"({_fmt(after)} − {_fmt(before)}) / {_fmt(abs(before))} × 100.")
    else:
        delta = after - before
        word = "rose" if delta > 0 else "fell" if delta < 0 else "was unchanged"
        points = " percentage points" if "%" in a.written else ""
        unit = f" (in {a.unit})" if a.unit and not points else ""
        text = (f"{a.label} {word} from {a.written} ({a.column}) to {b.written} ({b.column})"
                + (f": a change of {_fmt(delta)}{points}{unit} = {_fmt(after)} − "
                   f"{_fmt(before)}." if delta else "."))
    return text, lookup.used


def _compose(retrieval: Retrieval, region: str | None, text: str, used: list[Found],
             view: CorpusView) -> Answer:
    numbers: dict[str, int] = {}
    for found in used:
        numbers.setdefault(found.chunk_id, len(numbers) + 1)
    inputs = "; ".join(dict.fromkeys(
        f"{f.label}, {f.column}: {f.written} [{numbers[f.chunk_id]}]" for f in used))
    marks = "".join(f"[{n}]" for n in numbers.values())
    if len(used) == 1 and text.startswith(used[0].label):
        answer = f"{text[:-1]} [{numbers[used[0].chunk_id]}]."
    else:
        answer = f"{text[:-1]} {marks}. Inputs: {inputs}."
    citations = []
    for chunk_id, n in numbers.items():
        chunk = view.chunks[chunk_id]
        doc = view.documents[chunk.doc_id]
        meta = doc.meta
        citations.append(Citation(
            n=n, chunk_id=chunk_id, doc_id=chunk.doc_id, title=meta.title, source=doc.source,
            region=meta.region, page=chunk.page, text=chunk.text, score=1.0,
            publisher=meta.publisher, url=meta.url, kind=meta.kind, sources=list(meta.sources),
            highlights=sorted({f.line for f in used if f.chunk_id == chunk_id})))
    return Answer(retrieval.question.text, answer, False, citations, region,
                  sentences=[(answer, 1)])
