"""Table rows as sentences that keep their column headers and units.

PDF text gives a financial table's row as its label and bare figures,

    Purchases of property, plant and equipment (PP&E) (1,577) (1,373) (1,420)

with the years on a header line further up and the unit ("(Millions)") above that, so a
chunk that holds the row no longer says which figure is which year, and an answer that quotes
it cannot either. Each row under a period header is rewritten in place as

    Purchases of property, plant and equipment (PP&E) — 2018: (1,577); 2017: (1,373);
    2016: (1,420) (in millions)

so BM25 and the embedding see the label beside its years, and an answer can quote one
figure with its column (answer/figures.py reads this form back with :func:`parse_row`).

Rules, none tied to a filer: a header is a line whose trailing cells are all periods (years,
"May 31, 2020", "Q4 2022", "Change"); a group line above it ("Q4  Full Year", "Three Months
Ended ... Nine Months Ended ...") prefixes each repeat of the columns; a row is a label and
exactly as many figures as there are columns (a row with fewer or more is left as it was:
with text alone we cannot tell which column a missing cell is); a row whose label wraps to
the line before its figures gets that line back; a short label ("Basic", "Inventories") gets
its sub-heading ("Net income per share:"). A unit line ("(In thousands, except per share
data)", "($ in Millions)") names the unit, left off per-share, percentage and ratio rows.
A table ends at a paragraph of prose or a new header.

Measured on FinanceBench's 17 filings (2,712 pages): see BENCHMARKS.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_YEAR = r"(?:19[89]\d|20[0-4]\d)"
# One period column as a header writes it.
_PERIOD = (rf"(?:{_MONTH}\s+\d{{1,2}},?\s+{_YEAR}|(?:Q[1-4]|[1-4]Q|FY|H[12])\s*'?{_YEAR}|"
           rf"{_YEAR}\s*(?:Q[1-4])?|(?:%\s*)?[Cc]hange|%|Variance)")
# "Twelve Months Ended June 30, 2022  Twelve Months Ended June 30, 2023": a span before each.
_SPAN = (r"(?:(?:Three|Six|Nine|Twelve|3|6|9|12) Months|(?:Fiscal )?Years?|Quarters?|Weeks?)"
         r" Ended\s+")
_HEADER = re.compile(rf"^(?P<lead>.*?)(?P<cols>(?:{_SPAN})?(?:{_PERIOD})(?:\s+(?:{_SPAN})?"
                     rf"(?:{_PERIOD}))+)\s*$")
_COLUMN = re.compile(rf"(?:{_SPAN})?{_PERIOD}")
_ANY_YEAR = re.compile(_YEAR)
# A figure cell: "$ 5,363", "(1,577)", "3.0%", "54 %", "—", "NM".
_CELL = (r"(?:\$\s?)?\(?-?\$?\s?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\)?\s?%?|[—–-]{1,2}|NM|n/?[am]")
_UNIT = re.compile(r"(?i)\b(?:in|\$|dollars in|amounts in|€|£)?\s*(thousands|millions|billions|"
                   r"million|billion|thousand)\b")
_UNIT_LINE = re.compile(r"(?i)^\(?[^()]{0,40}\b(?:thousands|millions|billions|million|billion)\b"
                        r"[^()]{0,60}\)?")
_PER_UNIT = re.compile(r"(?i)per (?:common )?share|\beps\b|\bratio\b|\bmargin\b|\brate$|"
                       r"percent|%|\byield\b|basis points")
_GROUP = re.compile(r"(?i)(?:Q[1-4]|Fourth Quarter|Third Quarter|Second Quarter|First Quarter|"
                    r"Full[- ]Year|(?:Three|Six|Nine|Twelve) Months(?: Ended)?|Year(?:s)? Ended|"
                    r"Quarter(?: Ended)?|Year[- ]to[- ]Date|YTD)")
_CONTINUES = re.compile(r"(?i)(?:\b(?:and|or|of|for|in|to|from|on|by|the|net)|[,(&-])$")
PROSE_WORDS = 14  # a line of more words without figures is prose: the table has ended
SEP = " — "


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[tuple[str, str], ...]  # (column, figure as written)
    unit: str | None  # "millions", "thousands", ...


def _columns(text: str) -> list[str]:
    return [" ".join(m.group().split()) for m in _COLUMN.finditer(text)]


def _groups(line: str, repeats: int) -> list[str] | None:
    """A group line's labels when it names one per repeat of the columns."""
    found = [m.group() for m in _GROUP.finditer(line)]
    return found if len(found) == repeats else None


def _unit(line: str) -> str | None:
    if not _UNIT_LINE.match(line.strip()):
        return None
    m = _UNIT.search(line)
    if not m:
        return None
    unit = m.group(1).lower()
    return unit if unit.endswith("s") else unit + "s"


_TOKEN_CELL = re.compile(r"\$?\(?-?\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\)?%?|[—–-]{1,2}|NM|"
                         r"n/?[am]")
_ENDS_LIKE_A_CELL = frozenset("0123456789)%—–-Mam")


def split_row(line: str) -> tuple[str, list[str]]:
    """(label, figure cells) of a line, the cells read from its end: "Net income $ 5,363
    $ 4,869" -> ("Net income", ["$5,363", "$4,869"]). Token by token: a regex anchored at
    the line's end cost 9 ms a page."""
    if not line or line[-1] not in _ENDS_LIKE_A_CELL:
        return line, []
    tokens = line.split()
    cells: list[str] = []
    k = len(tokens)
    while k > 0:
        token = tokens[k - 1]
        if token in ("%", "$") and k > 1:  # "54 %", "$ 5,363": a sign apart from its figure
            nxt = tokens[k - 2]
            if token == "%" and _TOKEN_CELL.fullmatch(nxt):
                cells.append(nxt + "%")
                k -= 2
                continue
            if token == "$":
                k -= 1
                if cells:
                    cells[-1] = "$" + cells[-1]
                continue
            break
        if not _TOKEN_CELL.fullmatch(token):
            break
        cells.append(token)
        k -= 1
    return " ".join(tokens[:k]).rstrip(" $"), cells[::-1]


def label_rows(text: str) -> str:
    """The page's text with every row under a period header rewritten with its columns."""
    lines = text.split("\n")
    out: list[str] = []
    columns: list[str] | None = None
    unit: str | None = None
    subheading = ""
    pending: str | None = None  # a label line waiting for its figures
    # Off after a row with more figures than the header has columns (the header does not
    # describe this table): on again only for a run of rows that fit it.
    trusted = True
    counts = [len(split_row(" ".join(ln.split()))[1]) for ln in lines]
    for i, line in enumerate(lines):
        stripped = " ".join(line.split())
        found_unit = _unit(stripped) if len(stripped) < 120 and \
            ("illion" in stripped or "housand" in stripped) else None
        header = _HEADER.match(stripped) if len(stripped) < 200 and \
            len(_ANY_YEAR.findall(stripped)) >= 2 else None
        if header and len(_columns(header.group("cols"))) >= 2 and \
                sum(bool(re.search(_YEAR, c)) for c in _columns(header.group("cols"))) >= 2 and \
                len(header.group("lead").split()) <= 12:
            columns = _columns(header.group("cols"))
            prev = " ".join(lines[i - 1].split()) if i else ""
            repeats = columns.count(columns[0])
            per = len(columns) // repeats
            groups = _groups(prev, repeats) if repeats > 1 and \
                columns[:per] * repeats == columns else None
            if groups:
                columns = [f"{groups[k // per]} {c}" for k, c in enumerate(columns)]
            unit = found_unit or _unit(header.group("lead")) or unit
            subheading, pending, trusted = "", None, True
            out.append(line)
            continue
        if found_unit:
            unit = found_unit
        if columns is None or not stripped:
            out.append(line)
            continue
        label, cells = split_row(stripped)
        if label and len(cells) == len(columns) + 1:
            # "net of allowances of $95 and $103 5,020 4,911": the label's own figures.
            label = " ".join([label, *cells[:len(cells) - len(columns)]])
            cells = cells[len(cells) - len(columns):]
        if len(cells) > len(columns):
            trusted = False
        elif len(cells) == len(columns) and not trusted:
            following = next((c for c in counts[i + 1:] if c), 0)
            trusted = following == len(columns)
        if len(cells) == len(columns) and trusted:
            if pending is not None and (not label or label[:1].islower() or
                                        _CONTINUES.search(pending)):
                out.pop()  # the label wrapped onto the line before its figures
                label = f"{pending} {label}".strip()
            elif not label:
                out.append(line)
                continue
            if len(label.split()) <= 2 and subheading.endswith(":"):
                label = f"{subheading} {label}"  # "Net income per share: Basic"
            out.append(format_row(Row(label.rstrip(" :"), tuple(zip(columns, cells,
                                                                    strict=True)), unit)))
            pending = None
            if label.lower().startswith("total"):
                subheading = ""  # a total closes its sub-heading's rows
            continue
        if cells:
            out.append(line)  # a row whose cells we cannot place
            pending = None
            continue
        if len(stripped.split()) > PROSE_WORDS:
            columns, unit, subheading, pending = None, None, "", None
            out.append(line)
            continue
        subheading = stripped if stripped.endswith(":") or len(stripped.split()) <= 8 else ""
        pending = stripped
        out.append(line)
    return "\n".join(out)


def format_row(row: Row) -> str:
    cells = "; ".join(f"{c}: {v}" for c, v in row.cells)
    unit = f" (in {row.unit})" if row.unit and not _PER_UNIT.search(row.label) and \
        not any("%" in v for _, v in row.cells) else ""
    return f"{row.label}{SEP}{cells}{unit}"


_PARSE = re.compile(rf"^(?P<label>.+){SEP}(?P<cells>(?:[^:;]{{1,40}}: [^;]{{1,24}}; )*"
                    r"[^:;]{1,40}: [^;()]{0,24}(?:\([\d,.]+\))?%?)(?: \(in (?P<unit>\w+)\))?$")


def parse_row(line: str) -> Row | None:
    """A row written by :func:`format_row`, read back; None for any other line."""
    m = _PARSE.match(line.strip())
    if not m:
        return None
    cells = []
    for cell in m.group("cells").split("; "):
        column, _, value = cell.rpartition(": ")
        cells.append((column, value))
    return Row(m.group("label"), tuple(cells), m.group("unit"))
