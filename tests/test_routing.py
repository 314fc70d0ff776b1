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
    """Both PepsiCo filings are kept unless the period asked singles one out; 3M's is not; a ticker
    routes only in capitals; an alias that is an ordinary word ("block") only capitalised."""
    router = Router({
        "pep-2022": stored("pep-2022", aliases=("pepsico",), tickers=("PEP",), form="10-K",
                           year=2022),
        "pep-2023q1": stored("pep-2023q1", aliases=("pepsico",), form="earnings release",
                             year=2023, quarter=1),
        "3m": stored("3m", aliases=("3m",), form="10-K", year=2018),
        "sq": stored("sq", aliases=("block", "square"), form="10-K", year=2020)})
    route = router.route("What was PepsiCo's FY2022 revenue according to its 10-K?")
    assert route.docs == {"pep-2022"}  # the FY2022 10-K fits far better: filtered to
    assert route.fit["pep-2022"] > route.fit["pep-2023q1"]
    both = router.route("What did PepsiCo say about its supply chain?").docs
    assert both == {"pep-2022", "pep-2023q1"}  # no period asked: both filings
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


def test_the_filing_for_the_period_asked_is_filtered_to() -> None:
    """Two years of one company's 10-Ks and its quarterly release: a question about FY2018
    goes to the FY2018 10-K alone, one about "FY2023 Q1" guidance to the Q1 release alone;
    a question naming no period keeps them all."""
    router = Router({
        "mmm-2018": stored("mmm-2018", aliases=("3m",), form="10-K", year=2018),
        "mmm-2022": stored("mmm-2022", aliases=("3m",), form="10-K", year=2022),
        "mmm-2023q1": stored("mmm-2023q1", aliases=("3m",), form="earnings release",
                             year=2023, quarter=1),
        "mmm-8k": stored("mmm-8k", aliases=("3m",), form="8-K", year=2023)})
    assert router.route("What is the FY2018 capex for 3M?").docs == {"mmm-2018"}
    assert router.route("As of FY2023Q1, why did 3M raise its guidance?").docs == \
        {"mmm-2023q1"}
    assert len(router.route("Who is 3M's chief executive?").docs) == 4


def test_a_ten_q_cover_gives_its_quarter() -> None:
    """A 10-Q's cover names the quarter ended even when the date wraps past "Commission
    file"; its company and quarter come out."""
    cover = ("UNITED STATES\nSECURITIES AND EXCHANGE COMMISSION\nFORM 10-Q\n"
             "For the quarterly period ended Commission file\nMarch 31, 2021 number 1-5805\n"
             "JPMorgan Chase & Co.\n(Exact name of registrant as specified in its charter)\n")
    info = describe("jpm.pdf", "JPM_2021Q1_10Q", None, [cover])
    assert (info.form, info.year, info.quarter) == ("10-Q", 2021, 1)
    assert info.label == "JPMorgan Chase & Co. — 10-Q FY2021 Q1"
