"""Table rows keep their column headers and unit; a figure question is answered from such a
row with its page, a calculation with its inputs quoted and cited and its formula shown; and
when any input is missing or ambiguous there is no figure answer at all."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from clusterqa.answer.figures import FigureAnswerer, number
from clusterqa.answer.formulas import Avg, Item, Op, Phrase, parse
from clusterqa.loading import load_file
from clusterqa.loading.chunking import Chunker
from clusterqa.loading.tables import label_rows, parse_row, split_row
from clusterqa.store.lexical import LexicalIndex
from clusterqa.store.reader import CorpusView
from clusterqa.types import Document, DocumentMeta, Page, StoredDocument
from tests import docgen

CASH_FLOWS = """Consolidated Statement of Cash Flows
Years ended December 31
(Millions) 2020 2019 2018
Cash Flows from Operating Activities
Net cash provided by operating activities 6,439 6,240 6,662
Purchases of property, plant and equipment (PP&E) (1,577) (1,373) (1,420)
Proceeds from sale of businesses, net of cash sold
846 1,065 142
Other — net 9 (6) (4)
Net income per share:
Basic $ 0.48 $ 0.88 $ (0.09)
A note row with two figures 1 2
"""
BALANCE = """Consolidated Balance Sheet
(Dollars in millions, except per share amounts)
May 31, 2020 May 26, 2019
Total current assets 5,121.3 4,186.5
Total current liabilities 7,491.5 7,087.1
Property, plant and equipment — net 8,738 8,866
Total net revenue 9,497,578 4,713,500
"""
RELEASE = """Q4 Full Year
($ in Millions) 2022 2021 % Change 2022 2021 % Change
Adjusted EBITDA $6,218 $5,678 9.5% $27,038 $26,195 3.2%
"""


def test_a_row_keeps_its_label_columns_and_unit() -> None:
    """Each row under "2020 2019 2018" says which figure is which year, in millions; a label
    that wrapped to the line before gets it back; a per-share row gets its sub-heading and no
    unit; a row with fewer figures than columns is left as it was."""
    lines = label_rows(CASH_FLOWS).split("\n")
    assert ("Purchases of property, plant and equipment (PP&E) — 2020: (1,577); 2019: (1,373);"
            " 2018: (1,420) (in millions)") in lines
    assert ("Proceeds from sale of businesses, net of cash sold — 2020: 846; 2019: 1,065; "
            "2018: 142 (in millions)") in lines
    assert "Net income per share: Basic — 2020: $0.48; 2019: $0.88; 2018: $(0.09)" in lines
    assert "Other — net — 2020: 9; 2019: (6); 2018: (4) (in millions)" in lines
    assert "A note row with two figures 1 2" in lines
    row = parse_row(lines[lines.index("Other — net — 2020: 9; 2019: (6); 2018: (4) "
                                      "(in millions)")])
    assert row.label == "Other — net" and row.cells[1] == ("2019", "(6)")
    assert row.unit == "millions"


def test_dated_columns_and_column_groups() -> None:
    """Columns named by dates keep the date; "Q4 / Full Year" above a repeated "2022 2021
    % Change" prefixes each repeat."""
    assert "Total current assets — May 31, 2020: 5,121.3; May 26, 2019: 4,186.5 (in millions)" \
        in label_rows(BALANCE)
    row = parse_row(label_rows(RELEASE).split("\n")[2])
    assert [c for c, _ in row.cells] == ["Q4 2022", "Q4 2021", "Q4 % Change",
                                         "Full Year 2022", "Full Year 2021", "Full Year % Change"]
    assert split_row("Total $ 1,211 $ 1,853") == ("Total", ["$1,211", "$1,853"])
    assert number("(1,577)") == Decimal(-1577) and number("—") == 0


def test_a_statement_pdf_comes_out_with_labelled_rows(tmp_path: Path) -> None:
    """A real PDF drawn with a statement table: its rows carry their years and unit."""
    path = docgen.pdf_lines(tmp_path / "statement.pdf", [CASH_FLOWS.strip().split("\n")])
    text = load_file(path).text
    assert "Net cash provided by operating activities — 2020: 6,439; 2019: 6,240; 2018: 6,662" \
        " (in millions)" in text


def test_what_a_question_asks_for() -> None:
    """A definition in the question wins; a named ratio gets its textbook definition; a
    line item is a lookup; a "why" question or a filer's adjusted change is not a figure."""
    f = parse("What is the FY2019 fixed asset turnover ratio for Acme? Fixed asset turnover "
              "ratio is defined as: FY2019 revenue / (average PP&E between FY2018 and FY2019).")
    assert f.expr == Op("/", Item("revenue", 2019), Avg(Item("ppe"), (2018, 2019)))
    assert parse("What is Acme's FY2020 free cash flow? FCF here is defined as: (cash from "
                 "operations - capex).").expr == Op("-", Item("cfo"), Item("capex"))
    assert parse("What is the FY2020 current ratio of Acme?").expr == \
        Op("/", Item("current assets"), Item("current liabilities"))
    assert parse("What is the FY2018 capital expenditure amount (in USD millions) for Acme?"
                 ).expr == Item("capex")
    growth = parse("What is the FY2019 - FY2020 total revenue growth rate for Acme?")
    assert growth.between == (2019, 2020) and growth.rate
    assert parse("What drove operating margin change as of FY2022 for Acme?") is None
    assert parse("How much did real sales change in FY 2023 vs FY 2022, excluding FX?") is None
    assert isinstance(parse("What was Acme's Adjusted EBITDA for FY 2022?").expr, Phrase)
    assert parse("Who founded Skyscanner?") is None


# --- figure answers from a store ---------------------------------------------------------


def _retrieval(question: str, pages: list[tuple[str, str | None]], year: int = 2020):
    """A one-filing view whose pages are ``pages`` (text, statement title), the first passage
    retrieved first."""
    doc = Document("acme.pdf", "/c/acme.pdf", DocumentMeta(
        title="Acme Corp — 10-K FY2020", kind="report", aliases=("acme", "acme corp"),
        year=year), [Page(n, label_rows(t), s) for n, (t, s) in enumerate(pages, start=1)])
    chunks = Chunker().chunk(doc)
    stored = StoredDocument("acme.pdf", doc.source, "h", "m", doc.meta, len(pages), "",
                            tuple(c.chunk_id for c in chunks))
    # Every view is version 1 of acme.pdf, as in separate data dirs: what one view reads
    # must never be served to another.
    view = CorpusView(1, {c.chunk_id: c for c in chunks}, {"acme.pdf": stored},
                      LexicalIndex.build([], [], []))
    hits = [SimpleNamespace(chunk_id=c.chunk_id) for c in chunks]
    return SimpleNamespace(question=SimpleNamespace(text=question), hits=hits, view=view)


STATEMENTS = [("Some prose about the year.", None),
              (CASH_FLOWS, "Consolidated Statement of Cash Flows"),
              (BALANCE, "Consolidated Balance Sheet")]


def test_a_stated_figure_is_answered_with_its_row_and_page() -> None:
    answer = FigureAnswerer().answer(_retrieval(
        "What is the FY2019 capital expenditure (in USD millions) for Acme?", STATEMENTS))
    assert answer.text.startswith("Purchases of property, plant and equipment (PP&E), 2019: "
                                  "(1,373) (in millions) [1].")
    assert [(c.n, c.page) for c in answer.citations] == [(1, 2)] and not answer.abstained
    billions = FigureAnswerer().answer(_retrieval(
        "What is the year end FY2020 net PPNE for Acme? Answer in USD billions.", STATEMENTS))
    assert "8,738 (in millions) = 8.738 billion [1]" in billions.text


def test_a_calculation_shows_its_inputs_and_formula() -> None:
    """Free cash flow as the question defines it: both inputs quoted and cited, the formula
    with the figures, the result exact."""
    answer = FigureAnswerer().answer(_retrieval(
        "What is the FY2018 free cash flow for Acme? FCF is defined as: cash from operations "
        "- capex.", STATEMENTS))
    assert answer.text.startswith("Free cash flow: 5,242 (in millions) = 6,662 − 1,420 [1].")
    assert "Net cash provided by operating activities, 2018: 6,662 [1]" in answer.text
    assert "Purchases of property, plant and equipment (PP&E), 2018: (1,420) [1]" in answer.text
    ratio = FigureAnswerer().answer(_retrieval(
        "What is Acme's FY2020 working capital ratio? Round your answer to two decimal places.",
        STATEMENTS))
    assert "0.68 = 5,121.3 / 7,491.5" in ratio.text and ratio.citations[0].page == 3


def test_a_years_figure_comes_from_a_full_year_column() -> None:
    """An earnings release states a figure for the quarter, then for the year: a question
    about the fiscal year takes the year's, and never a quarter's when no year's is found."""
    quarter = ("Adjusted EBITDA — Three Months Ended June 30, 2022: 609; Three Months Ended "
               "June 30, 2023: 540 (in millions)", "Reconciliation of Non-GAAP Measures")
    year = ("Adjusted EBITDA — Twelve Months Ended June 30, 2022: 2,117; Twelve Months Ended "
            "June 30, 2023: 2,018 (in millions)", "Reconciliation of Non-GAAP Measures")
    question = "What was Acme's Adjusted EBITDA for FY 2023?"
    answer = FigureAnswerer().answer(_retrieval(question, [quarter, year], year=2023))
    assert answer.text.startswith("Adjusted EBITDA, Twelve Months Ended June 30, 2023: 2,018")
    assert answer.citations[0].page == 2
    assert FigureAnswerer().answer(_retrieval(question, [quarter], year=2023)) is None


def test_no_figure_answer_when_unsure() -> None:
    """An input the statements lack, a year no column has, or a question that asks for no
    figure: None, so the quoting answerer answers or abstains as before."""
    answerer = FigureAnswerer()
    assert answerer.answer(_retrieval("What is Acme's FY2020 inventory turnover ratio?",
                                      STATEMENTS)) is None
    assert answerer.answer(_retrieval("What is the FY2015 capital expenditure for Acme?",
                                      STATEMENTS)) is None
    assert answerer.answer(_retrieval("Why did Acme's capex fall?", STATEMENTS)) is None
    growth = answerer.answer(_retrieval(
        "What is the FY2019 - FY2020 total revenue growth rate for Acme?", STATEMENTS))
    assert "101.5% = (9,497,578 − 4,713,500) / 4,713,500 × 100" in growth.text


def test_no_chunk_cuts_a_row_in_two() -> None:
    """A page of table rows longer than a chunk is split between rows, never inside one (a
    split at "9,497," would leave a chunk stating a wrong figure)."""
    header = "(In thousands)\n2020 2019 2018\n"
    rows = "\n".join(f"Line item number {n} of the statement 9,497,578 4,713,500 3,298,177"
                     for n in range(40))
    page = Page(1, label_rows(header + rows), "Consolidated Statements of Operations")
    doc = Document("big.pdf", "/c/big.pdf", DocumentMeta(title="Big", kind="report"), [page])
    chunks = Chunker().chunk(doc)
    assert len(chunks) > 3
    for chunk in chunks:
        for line in chunk.text.split("\n"):
            if "Line item" in line:
                assert parse_row(line) is not None, line


def test_each_store_s_view_reads_its_own_rows() -> None:
    """Two data dirs can both be at version 1 of a filing of the same name: the second's
    figure comes from its own rows, never from what was read for the first."""
    question = "What is the FY2019 capital expenditure (in USD millions) for Acme?"
    first = FigureAnswerer().answer(_retrieval(question, STATEMENTS))
    restated = [(text.replace("(1,373)", "(1,999)"), title) for text, title in STATEMENTS]
    second = FigureAnswerer().answer(_retrieval(question, restated))
    assert "(1,373)" in first.text and "(1,999)" in second.text
