"""The extractive answerer on its own: hand-built passages, no store, the fake embedder."""

from __future__ import annotations

import re

from clusterqa.analysis import analyse
from clusterqa.answer import ExtractiveAnswerer
from clusterqa.retrieve import Hit, Retrieval
from clusterqa.settings import AnsweringSettings
from clusterqa.store import CorpusView
from clusterqa.store.lexical import LexicalIndex
from clusterqa.types import Chunk, DocumentMeta, StoredDocument
from tests.fakes import HashEmbedder

EMBEDDER = HashEmbedder()


def answer(question: str, *passages: str, title: str = "Notes", need_sector: bool = False):
    """Answer ``question`` from ``passages`` ranked in the order given."""
    doc = StoredDocument("d.md", "corpus/d.md", "h", "m", DocumentMeta(title=title, kind="note"),
                         1, "2026-12-02")
    chunks = {f"c{i}": Chunk(f"c{i}", "d.md", i, None, 0, len(text), text)
              for i, text in enumerate(passages)}
    view = CorpusView(1, chunks, {"d.md": doc}, LexicalIndex.build([], [], []))
    retrieval = Retrieval(analyse(question), [Hit(cid, 1.0 - i / 10) for i, cid in
                                              enumerate(chunks)],
                          EMBEDDER.embed_query(question), {}, view)
    return ExtractiveAnswerer(EMBEDDER, AnsweringSettings()).answer(retrieval,
                                                                     need_sector=need_sector)


def test_quotes_the_sentence_about_the_name_asked_for_and_cites_it() -> None:
    """Only the sentence about Kontainers answers; it is quoted with [1] and marked."""
    got = answer("Who acquired Kontainers?",
                 "Sage is a Newcastle accounting firm. Kontainers was bought by a Canadian "
                 "company in 2021.")
    assert not got.abstained
    assert got.text == "Kontainers was bought by a Canadian company in 2021. [1]"
    (cite,) = got.citations
    start, end = cite.highlights[0]
    assert cite.text[start:end] == "Kontainers was bought by a Canadian company in 2021."


def test_a_sentence_not_about_the_anchor_never_answers() -> None:
    """Revenue of another firm is no answer about SoPost: abstain, show the nearest."""
    got = answer("What is SoPost's annual revenue?",
                 "SoPost is a Glasgow software firm.",
                 "Skyscanner's annual revenue was £300m in 2019.")
    assert got.abstained and got.text.startswith("The reports don't say")
    assert [c.n for c in got.citations] == [1, 2]
    assert all(not c.highlights for c in got.citations)


def test_the_answer_leads_though_it_says_it() -> None:
    """"It was founded in 2019" answers "When was Zorbcorp founded?" through the sentence
    before, which the question already names: the answer is that sentence, the one before
    is marked in the passage, not quoted."""
    got = answer("When was Zorbcorp founded?",
                 "Zorbcorp is a Gateshead drone maker. It was founded in 2019 by Ada Quill.")
    assert got.text == "It was founded in 2019 by Ada Quill. [1]"
    (cite,) = got.citations
    assert [cite.text[s:e] for s, e in cite.highlights] == [
        "Zorbcorp is a Gateshead drone maker.", "It was founded in 2019 by Ada Quill."]


def test_the_sentence_before_is_quoted_first_when_it_holds_the_name_asked_for() -> None:
    """"Who bought Pretty Lane?": "It had bought ... Pretty Lane" names no buyer; what "It" is,
    the sentence before says."""
    got = answer("Who bought Pretty Lane?",
                 "Boohaha was started in Manchester in 2006. It had bought Manchester rival "
                 "Pretty Lane in 2016.")
    assert got.text == ("Boohaha was started in Manchester in 2006. [1] It had bought Manchester "
                        "rival Pretty Lane in 2016. [1]")


def test_the_kind_of_answer_asked_for_must_be_there() -> None:
    """"How many" needs a number: a sentence about the firm without one does not answer."""
    got = answer("How many staff does Acme employ?",
                 "Acme employs engineers and designers in Leeds.")
    assert got.abstained
    counted = answer("How many staff does Acme employ?",
                     "Acme employs 45 staff in Leeds.")
    assert counted.text == "Acme employs 45 staff in Leeds. [1]"


def test_citations_are_numbered_by_first_use_and_repeats_are_dropped() -> None:
    """Two passages state one fact: it is quoted once; numbers follow the order of use."""
    got = answer("Who founded Skyscanner, and when?",
                 "Gareth Williams founded Skyscanner in 2003.",
                 "Skyscanner was founded in 2003 by Gareth Williams.",
                 "Skyscanner was founded by Gareth Williams, Bonamy Grimes and Barry Smith.")
    used = [int(n) for n in re.findall(r"\[(\d+)\]", got.text)]
    assert used[0] == 1 and sorted(set(used)) == list(range(1, max(used) + 1))
    assert got.text.count("in 2003") == 1
    assert [c.n for c in got.citations] == sorted({c.n for c in got.citations})


def deal_answer(question: str, *passages: str, joiner: str = "\n\n"):
    """Like ``answer``, with the entity table of the passages, so the deal rules can read it
    (each passage a chunk; ``joiner`` " " makes them one paragraph cut into chunks)."""
    from clusterqa.entities.extract import extract
    from clusterqa.entities.table import EntityTable
    from clusterqa.types import Document, Page

    doc = StoredDocument("d.md", "corpus/d.md", "h", "m", DocumentMeta(title="Notes", kind="note"),
                         1, "2026-12-02")
    chunks, at, text = {}, 0, joiner.join(passages)
    for i, passage in enumerate(passages):
        chunks[f"c{i}"] = Chunk(f"c{i}", "d.md", i, None, at, at + len(passage), passage)
        at += len(passage) + len(joiner)
    document = Document("d.md", "corpus/d.md", DocumentMeta(title="Notes", kind="note"),
                        [Page(None, text)])
    table = EntityTable.build([("d.md", f) for f in extract(document)], {"d.md": doc},
                              list(chunks.values()))
    view = CorpusView(1, chunks, {"d.md": doc}, LexicalIndex.build([], [], []), table)
    retrieval = Retrieval(analyse(question), [Hit(cid, 1.0 - i / 10) for i, cid in
                                              enumerate(chunks)],
                          EMBEDDER.embed_query(question), {}, view)
    return ExtractiveAnswerer(EMBEDDER, AnsweringSettings()).answer(retrieval)


BLUE = ("Blue Prysm, the automation pioneer, was born in Warrington; it paid £80m for Thoughtful "
        "in June 2019. In December 2021 SS&C agreed to buy it for 1,275p a share, a price that "
        "put its value at about £1.24bn.")


def test_a_deal_question_is_answered_by_the_deal_between_the_names_it_asks_about() -> None:
    """"What did Blue Prysm pay for Thoughtful?": the sentence stating that deal, not SS&C's
    purchase of Blue Prysm, though it also has a price."""
    got = deal_answer("What did Blue Prysm pay for Thoughtful?", BLUE)
    assert got.text.startswith("Blue Prysm, the automation pioneer")
    assert "SS&C" not in got.text


def test_a_deal_the_reports_record_without_what_is_asked_is_no_answer() -> None:
    """The buyers are recorded only as "Canadian-based companies": "which Canadian company"
    has no answer, though "who acquired" does; no price is recorded for Kontayners either."""
    text = "Kontayners and Moltan were both bought by Canadian-based companies in 2019."
    assert deal_answer("Which Canadian company bought Kontayners?", text).abstained
    assert not deal_answer("Who acquired Kontayners?", text).abstained
    assert deal_answer("How much did Kontayners sell for?", text).abstained


def test_a_deal_named_only_by_it_answers_when_the_table_read_whose_it_was() -> None:
    """"SoftBrook bought it in 2024": two sentences after the firm's name, with another "it"
    between; the table read the sale as Graphwerk's, so it answers "Who bought Graphwerk?",
    and its buyer opening the sentence is the name asked for. A sale of another firm does
    not answer, nor does the firm's founding."""
    text = ("Graphwerk, the Bristol AI chip designer, was founded in 2016 by Nigel Toone. In "
            "December 2020 it raised $222m from investors. SoftBrook bought it in 2024 for an "
            "undisclosed sum; in 2022 it had lost $205m before tax.")
    got = deal_answer("Who bought Graphwerk?", text)
    assert not got.abstained and got.text.startswith("SoftBrook bought it in 2024")
    assert "founded" not in got.text
    assert deal_answer("Who bought Quillon?", text + " Quillon was founded in 2001.").abstained


def test_a_deal_stated_of_it_in_a_passage_of_its_own_answers_by_the_table() -> None:
    """The sale is stated of "It" at the start of a passage that never names the firm; the
    table read it as Sky Wagering & Gaming's, so it answers what the buyer paid for it."""
    text = ("- **Sky Wagering & Gaming** began in Harrogate in 1999; BSkyB bought its parent "
            "in 2000 [S2]. By 2017 it had more than 1,200 staff [S2].",
            "It was valued at £800m when CVC took a majority stake in 2014 [S3], then sold to "
            "The Stars Group for £3.4bn in 2018 [S4].")
    got = deal_answer("what did The Stars Group pay for Sky Wagering & Gaming?", *text,
                      joiner=" ")
    assert not got.abstained and got.text.startswith("It was valued at £800m")


def test_a_list_of_a_sector_the_table_cannot_answer_is_quoted_only_where_it_is_named() -> None:
    """"Which games studios are in Norwich?" over passages about Norwich that never say
    games: no answer (the table had none either). A sentence in a paragraph led by
    "Games." names the sector, and answers (the briefs' "- **Games.** Newcastle studio ...")."""
    norwich = ("Norwich is home to a research park shared by a university and two "
               "institutes. Norwich firm Quill Labs makes antibodies for research.")
    got = answer("Which games studios are in Norwich?", norwich, need_sector=True)
    assert got.abstained and got.citations  # the nearest passages are still shown
    assert not answer("Which games studios are in Norwich?", norwich).abstained  # as before
    games = "Games. Norwich studio Quill Labs made Moon Harbour for consoles."
    led = answer("Which games studios are in Norwich?", norwich, games, need_sector=True)
    assert not led.abstained and "Moon Harbour" in led.text and "antibodies" not in led.text
    # A list that names a firm is decided by what it asks of the firm, not by the sector word.
    deal = answer("Which Norwich games studio did Quill Corp buy?",
                  "Quill Corp bought Pixel Kiln, a Norwich studio, in 2020.", need_sector=True)
    assert not deal.abstained and "Pixel Kiln" in deal.text


def test_a_name_the_question_writes_as_initials_is_the_name_spelled_out() -> None:
    """"the FT" is "The Financial Times", "UKRI" is "UK Research and Innovation"; initials
    the passage does not spell out answer nothing."""
    ft = "The Financial Times has ranked Belfast first in the world for fintech investment."
    got = answer("Which city does the FT rank first for fintech investment?", ft)
    assert not got.abstained and got.text.startswith("The Financial Times has ranked Belfast")
    ukri = "The centre is funded by £172m from UK Research and Innovation."
    assert not answer("How much is UKRI putting into the centre?", ukri).abstained
    assert answer("How much is UKRI putting into the centre?",
                  "The centre is funded by £172m from Innovate UK.").abstained


def test_which_studio_is_answered_with_the_sentence_naming_it() -> None:
    """"Which Cheshire studio did EA purchase?" -> "Electronic Arts completed a purchase of the
    studio": which studio is the sentence before's, quoted first."""
    text = ("Quillplay was set up in 2010 as a Facebook games developer and was based in "
            "Wilmslow in Cheshire. Electronic Arts completed a $1.4bn cash purchase of the studio "
            "in September 2021.")
    got = answer("Which Cheshire games studio did EA purchase?", text)
    assert not got.abstained and got.text.startswith("Quillplay was set up in 2010")
