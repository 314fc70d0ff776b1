"""Document routing and a document's identity: a question that names a company is answered
from that company's documents, the year and form it asks about preferred; one that names no
document changes nothing."""

from __future__ import annotations

from clusterqa.loading.identity import describe
from clusterqa.retrieve.routing import Router, periods, statement_kind
from clusterqa.types import DocumentMeta, StoredDocument

COVER = """UNITED STATES
SECURITIES AND EXCHANGE COMMISSION
Washington, D.C. 20549
FORM 10-K
ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d)
For the fiscal year ended December 31, 2022
Commission file number 1-1183
PepsiCo, Inc.
(Exact name of registrant as specified in its charter)
Common Stock PEP The Nasdaq Stock Market LLC
"""


def stored(doc_id: str, **meta) -> StoredDocument:
    return StoredDocument(doc_id, f"/{doc_id}", "h", "m",
                          DocumentMeta(title=doc_id, kind="report", **meta), 1, "")


def test_a_filing_says_who_it_is_by_and_for_when() -> None:
    info = describe("pepsi.pdf", "PEPSICO_2022_10K", "0000077476-23-000007", [COVER])
    assert info.names[0] == "PepsiCo, Inc."
    assert {"pepsico"} <= info.aliases and info.tickers == {"PEP"}
    assert (info.form, info.year, info.quarter) == ("10-K", 2022, None)
    assert info.label == "PepsiCo, Inc. — 10-K FY2022"


def test_a_question_naming_a_company_is_routed_to_its_filings_year_first() -> None:
    """Both PepsiCo filings are kept, the FY2022 10-K fitting best; 3M's is not; a ticker
    routes only in capitals; an alias that is an ordinary word ("block") only capitalised."""
    router = Router({
        "pep-2022": stored("pep-2022", aliases=("pepsico",), tickers=("PEP",), form="10-K",
                           year=2022),
        "pep-2023q1": stored("pep-2023q1", aliases=("pepsico",), form="earnings release",
                             year=2023, quarter=1),
        "3m": stored("3m", aliases=("3m",), form="10-K", year=2018),
        "sq": stored("sq", aliases=("block", "square"), form="10-K", year=2020)})
    route = router.route("What was PepsiCo's FY2022 revenue according to its 10-K?")
    assert route.docs == {"pep-2022", "pep-2023q1"}
    assert route.fit["pep-2022"] > route.fit["pep-2023q1"]
    assert router.route("Did PEP raise its dividend?").docs == {"pep-2022"}
    assert not router.route("pep talk for the team").docs
    assert router.route("What did Block earn in 2020?").docs == {"sq"}
    assert not router.route("How big is a block of shares?").docs
    assert not router.route("Which Teesside firms make games?").docs


def test_periods_and_statements_a_question_asks_for() -> None:
    assert periods("As of FY2021, what debt matures in 2024?") == ([2024, 2021], None)
    assert periods("PepsiCo's Q1 2023 results") == ([2023], 1)
    assert statement_kind("Consolidated Statement of Cash Flows") == "cashflow"
    assert statement_kind("Consolidated Balance Shee t") == "balance"
    assert statement_kind("Consolidated Statement of Comprehensive Income") is None
    router = Router({})
    assert router.route("What is 3M's quick ratio?").statements == {"balance"}
    assert router.route("FY2018 capex for 3M?").statements == {"cashflow"}
