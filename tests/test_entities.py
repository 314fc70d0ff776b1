"""The entity layer: names found by rules, facts with their sentences, one row per real
thing, and list answers read from the table (hand-built documents, no model)."""

from __future__ import annotations

from clusterqa.analysis import analyse
from clusterqa.answer.lists import answer_from_table, citation_for, lead_with_items, merge
from clusterqa.entities.extract import extract
from clusterqa.entities.names import ORG, PERSON, PLACE, find_names, name_key
from clusterqa.entities.table import EntityTable
from clusterqa.loading.chunking import Chunker
from clusterqa.retrieve import Retrieval
from clusterqa.store import CorpusView
from clusterqa.store.lexical import LexicalIndex
from clusterqa.types import Answer, Document, DocumentMeta, Page, StoredDocument

BRIEF = """Games. Newcastle studio Zephyr Works, founded in 1995, is known for Rally Dash and
Sky Racer.
Middlesbrough's Quartz Eleven helped Mojang build the console editions of Block Quest.

Quartz Eleven was founded in 2009 by former Rockstar developers Lee Hutchinson and
Matt Shepcar. It now has 350 staff.

brightbingo, the Sunderland online bingo company, was founded by Phil Cronin in 1999.
Flutter bought it in November 2021 for £402m.

Kontainers and Moltin were both bought by Canadian-based companies.
"""


def doc(text: str = BRIEF, doc_id: str = "north-east/brief.md") -> Document:
    return Document(doc_id, f"/corpus/{doc_id}", DocumentMeta("NE brief", "brief", "north-east"),
                    [Page(None, text)])


def facts_of(subject: str) -> set[tuple[str, str | None]]:
    return {(f.relation, f.obj or f.value) for f in extract(doc()) if f.subject == subject}


def test_names_are_runs_of_capitalised_words_told_apart_by_gazetteers() -> None:
    """A place from the hierarchy, a person by a given name, otherwise an organisation;
    possessives split names, years and figures start none."""
    names = {m.text: m.category for m in find_names(
        "In 2020 Middlesbrough's Quartz Eleven hired Lee Hutchinson from 4J Studios.")}
    assert names == {"Middlesbrough": PLACE, "Quartz Eleven": ORG, "Lee Hutchinson": PERSON,
                     "4J Studios": ORG}
    # "England" is no name alone, but ends one after "of".
    assert [(m.text, m.category) for m in find_names(
        "Which firms in the East of England or at the Bank of England? Not England.")] == \
        [("East of England", PLACE), ("Bank of England", ORG)]
    # A lower-case part with a digit continues a name; it starts none.
    assert [m.text for m in find_names("The imaging firm Teledyne e2v sold mp3 kits to Arm.")] == \
        ["Teledyne e2v", "Arm"]


def test_name_variants_share_a_key() -> None:
    assert name_key("4J Studios") == name_key("4J") == "4j"
    assert name_key("tombola") == name_key("Tombola")
    assert name_key("The Hut Group") == name_key("Hut Group")


def test_descriptions_give_kind_place_and_sector() -> None:
    """"Newcastle studio X", "Middlesbrough's X", "X, the Sunderland online bingo company",
    and the lead-in "Games." of the paragraph a firm is the subject of."""
    assert {("kind", "studio"), ("place", "Newcastle"), ("sector", "games")} <= \
        facts_of("Zephyr Works")
    assert {("place", "Middlesbrough"), ("sector", "games")} <= facts_of("Quartz Eleven")
    assert {("kind", "firm"), ("place", "Sunderland"), ("sector", "gambling")} <= \
        facts_of("brightbingo")


def test_relations_and_pronouns_resolve_to_the_paragraph_s_subject() -> None:
    """Founders after "founded ... by", figures with their subject, "Flutter bought it"
    about the firm the paragraph is about, and buyers described rather than named."""
    quartz = facts_of("Quartz Eleven")
    assert {("founded", "2009"), ("founded_by", "Lee Hutchinson"),
            ("founded_by", "Matt Shepcar"), ("employs", "350")} <= quartz
    assert ("founded_by", "Rockstar") not in quartz  # their former employer
    assert ("acquired_by", "Flutter") in facts_of("brightbingo")
    sale = next(f for f in extract(doc()) if f.subject == "brightbingo"
                and f.relation == "acquired_by")
    assert (sale.value, sale.year) == ("£402m", 2021)
    assert sale.sentence == "Flutter bought it in November 2021 for £402m."
    assert ("acquired_by", "Canadian-based companies") in facts_of("Moltin")


def test_a_description_bought_by_the_subject_is_the_firm_named_before() -> None:
    """"SoftBank agreed to buy the Cambridge chip designer": the designer is the firm the
    text named before, not SoftBank; "the studio" after "said" is still the subject."""
    text = ("Cambridge chip designer Vellum was founded in 1990.\n\n"
            "In 2016 Japan's SoftBank agreed to buy the Cambridge chip designer for £24bn.\n\n"
            "Quartz Eleven said the studio would hire 40 people.\n")
    facts = {(f.subject, f.relation, f.obj or f.value) for f in extract(doc(text))}
    assert ("Vellum", "acquired_by", "SoftBank") in facts
    assert not {("SoftBank", "place", "Cambridge"), ("SoftBank", "sector", "semiconductors")
                } & facts
    assert ("Quartz Eleven", "kind", "studio") in facts


def test_where_a_firm_does_its_work_is_its_place() -> None:
    """"builds satellites in Stevenage", "employs 2,000 people in Newcastle": a place the
    gazetteer knows; "develops games in Unity" names no place."""
    text = ("Orbital Works builds satellites in Stevenage. Quartz Eleven develops games in "
            "Unity. Sage employs 2,000 people in Newcastle.\n")
    places = {(f.subject, f.obj or f.value) for f in extract(doc(text)) if f.relation == "place"}
    assert places == {("Orbital Works", "Stevenage"), ("Sage", "Newcastle")}
    # A place that is home to a firm is its place, not a firm it is based at.
    facts = {(f.subject, f.relation, f.obj or f.value) for f in extract(doc(
        "Chelmsford, where Marconi opened a radio factory in 1898, is home to Teledyne e2v."))}
    assert ("Teledyne e2v", "place", "Chelmsford") in facts
    assert not any(r == "based_at" for _, r, _ in facts)


def test_every_fact_keeps_the_span_of_its_sentence() -> None:
    document = doc()
    for fact in extract(document):
        said = " ".join(document.pages[0].text[fact.start:fact.end].split())
        assert said == fact.sentence


def view_of(document: Document) -> CorpusView:
    chunks = Chunker().chunk(document)
    stored = StoredDocument.from_document(document)
    table = EntityTable.build([(document.doc_id, f) for f in extract(document)],
                              {document.doc_id: stored}, chunks)
    return CorpusView(1, {c.chunk_id: c for c in chunks}, {document.doc_id: stored},
                      LexicalIndex.build([], [], []), table)


def test_a_list_question_is_answered_from_the_table_through_the_place_hierarchy() -> None:
    """Teesside holds Middlesbrough: the games firm there leads the answer, with its place and
    a citation whose passage names it; Newcastle's studio is not in Teesside."""
    view = view_of(doc())
    answer = answer_from_table(Retrieval(analyse("which Teesside firms make games?"), [], None,
                                         {}, view), None)
    assert answer is not None and answer.text.startswith("Quartz Eleven (Middlesbrough) [1].")
    assert [i.name for i in answer.items] == ["Quartz Eleven"]
    (item,) = answer.items
    assert (item.place, item.region, item.sector) == ("Middlesbrough", "north-east", "games")
    assert "Quartz Eleven" in answer.citations[0].text
    founders = answer_from_table(Retrieval(analyse("Who founded Quartz Eleven?"), [], None, {},
                                           view), None)
    assert [i.name for i in founders.items] == ["Lee Hutchinson", "Matt Shepcar"]


def test_a_list_is_followed_only_by_quotes_about_its_items() -> None:
    """The passages' quotes follow the table's list only where they speak of an item, by
    name or as the sentence a fact of it was read from ("It now has 350 staff."); a quote
    about the place that names no item is left out. A thing the question names counts too."""
    view = view_of(doc())
    question = analyse("which Teesside firms make games?")
    table = answer_from_table(Retrieval(question, [], None, {}, view), None)
    chunk_id = next(iter(view.chunks))
    quotes = [("Companies right here in Teesside are working on the next blockbuster game.", 1),
              ("Quartz Eleven was founded in 2009 by former Rockstar developers Lee "
               "Hutchinson and Matt Shepcar.", 1),
              ("It now has 350 staff.", 1),
              ("Flutter bought it in November 2021 for £402m.", 1)]
    passages = Answer(question.text, " ".join(f"{s} [{n}]" for s, n in quotes), False,
                      [citation_for(view, 1, chunk_id, [])], sentences=quotes)
    merged = merge(table, passages, view.entities, question)
    assert [s for s, _ in merged.sentences[2:]] == [s for s, _ in quotes[1:3]]
    assert "blockbuster" not in merged.text and "Flutter" not in merged.text
    # "who founded brightbingo, and when was it sold?": the sale is about what it names
    asked = analyse("who founded brightbingo, and when was it sold?")
    founders = answer_from_table(Retrieval(asked, [], None, {}, view), None)
    assert [i.name for i in founders.items] == ["Phil Cronin"]
    merged = merge(founders, Answer(asked.text, "", False, [citation_for(view, 1, chunk_id, [])],
                                    sentences=quotes[3:]), view.entities, asked)
    assert merged.text.endswith("Flutter bought it in November 2021 for £402m. [1]")


def test_an_item_is_listed_with_the_place_asked_for_and_the_sentence_that_shows_it() -> None:
    """A firm with studios in two places is listed, for a question about one of them, with
    that place and the sentence placing it there, not its other studio's."""
    text = ("Games. Quartz Eleven opened a Leamington studio focused on mobile games in 2019.\n\n"
            "Quartz Eleven was founded in Sheffield in 2003; its credits include Block Quest.\n")
    view = view_of(doc(text))
    answer = answer_from_table(Retrieval(analyse(
        "which games developers are based in South Yorkshire?"), [], None, {}, view), None)
    assert answer is not None and [i.name for i in answer.items] == ["Quartz Eleven"]
    assert answer.items[0].place == "Sheffield"
    assert answer.text.startswith("Quartz Eleven (Sheffield) [1]. Quartz Eleven was founded in "
                                  "Sheffield")


def test_a_closed_firm_is_no_answer_to_what_is_there_but_is_to_what_closed() -> None:
    """"Which studios are in Leamington?" asks what is there now: a studio Ubisoft has closed
    is left out; asked which have closed, it is the answer, with the sentence that says so."""
    text = ("Games. Quartz Eleven, a Leamington studio, made Block Quest.\n\n"
            "Tinwhistle is a Leamington studio founded in 2002. Ubisoft acquired the studio in "
            "2017; Ubisoft has since closed it.\n")
    view = view_of(doc(text, "west-midlands/brief.md"))

    def items(asked: str) -> list[str]:
        answer = answer_from_table(Retrieval(analyse(asked), [], None, {}, view), None)
        return [i.name for i in answer.items] if answer else []

    assert items("Which studios are based in Leamington?") == ["Quartz Eleven"]
    assert items("Which Leamington studios have closed?") == ["Tinwhistle"]
    card = answer_from_table(Retrieval(analyse("Tell me about Tinwhistle"), [], None, {}, view),
                             None)
    assert "Ubisoft has since closed it." in card.text


def test_names_a_quote_gives_lead_only_when_of_the_kind_asked() -> None:
    """Quoted for "which manufacturers are at the park?", a sentence naming a university and
    two firms leads with the firms: the table knows the university is one."""
    text = ("Sheffield's Advanced Manufacturing Park brings the University of Sheffield "
            "together with Boeing and Rolls-Royce.\n\nBoeing was founded in 1916.\n")
    view = view_of(doc(text, "yorkshire-humber/brief.md"))
    question = analyse("Which big manufacturers are at Sheffield's Advanced Manufacturing Park?")
    quoted = text.split("\n")[0]
    answer = lead_with_items(Answer(question.text, f"{quoted} [1]", False, [],
                                    sentences=[(quoted, 1)]), question, view.entities)
    assert [i.name for i in answer.items] == ["Boeing", "Rolls-Royce"]


def test_no_constraint_no_table_answer() -> None:
    """"Which firms are there?" names no place, sector or relation: not a table question."""
    view = view_of(doc())
    assert answer_from_table(Retrieval(analyse("Which firms are there?"), [], None, {}, view),
                             None) is None


def test_a_list_led_from_quoted_sentences_leaves_out_works() -> None:
    """"The studio's titles include A, B and C" lists works, not studios: a list question
    answered from quotes names the studios only."""
    from clusterqa.answer.lists import lead_with_items
    from clusterqa.types import Answer

    text = ("Two studios, Zephyr Works and Quartz Eleven, are based in Newcastle.\n\n"
            "Zephyr Works was set up in 1994. The studio's titles include Rally Dash, Sky "
            "Racer and Moon Base.\n")
    view = view_of(doc(text))
    sentences = [("Two studios, Zephyr Works and Quartz Eleven, are based in Newcastle.", 1),
                 ("The studio's titles include Rally Dash, Sky Racer and Moon Base.", 2)]
    answer = Answer("Which games studios are in the North East?", " ".join(
        s for s, _ in sentences), False, [],
                    sentences=list(sentences))
    led = lead_with_items(answer, analyse("Which games studios are in the North East?"),
                          view.entities)
    assert [i.name for i in led.items] == ["Zephyr Works", "Quartz Eleven"]


ORIGINS = ("Harbour Insurance traces its roots to the Norwich Mutual, set up in the city in 1797. "
           "Harbour Insurance employs 5,000 people in Norwich.\n\n"
           "Quayside Pay, the Norwich payments firm, floated on the London Stock Exchange in "
           "2021. Lantern Labs, a Norwich software firm, was bought by Sage in 2019.\n")


def test_an_origin_question_is_guided_to_the_sentence_that_states_it() -> None:
    from clusterqa.entities.guide import guide

    table = view_of(doc(ORIGINS, "east-of-england/brief.md")).entities
    stated = guide(analyse("Which company did Harbour Insurance grow out of?"), table).stating
    assert any("traces its roots to the Norwich Mutual" in s for s in stated)
    assert not any("employs" in s for s in stated)


def test_a_list_of_firms_that_floated_is_answered_from_the_table() -> None:
    view = view_of(doc(ORIGINS, "east-of-england/brief.md"))
    answer = answer_from_table(Retrieval(analyse("Which Norwich firms have floated on a stock "
                                                 "market?"), [], None, {}, view), None)
    assert answer is not None
    assert [item.name for item in answer.items] == ["Quayside Pay"]
    assert answer.text.startswith("Quayside Pay")
