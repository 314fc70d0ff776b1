"""Reading a question: anchors, places, the kind of answer wanted, compound parts."""

from __future__ import annotations

from clusterqa.analysis import DATE, NAME, NUMBER, analyse, answer_kinds


def anchors(question: str) -> set[str]:
    return {t.token for p in analyse(question).parts for t in p.anchors}


def test_names_and_places_are_anchors_common_words_are_not() -> None:
    assert anchors("What is SoPost's annual revenue?") == {"sopost"}
    assert anchors("which Teesside firms make games?") == {"teessid"}
    assert anchors("How many jobs did Allstate NI cut in 2023?") >= {"allstat", "2023"}


def test_a_wider_place_is_covered_by_the_places_inside_it() -> None:
    """"South Yorkshire" is one anchor that Sheffield covers; plain "Yorkshire" does not."""
    (term,) = [t for t in analyse("games developers in South Yorkshire?").terms if t.anchor]
    assert ("sheffield",) in term.alternatives
    assert ("yorkshir",) not in term.alternatives
    teesside = next(t for t in analyse("which Teesside firms?").terms if t.anchor)
    assert ("middlesbrough",) in teesside.alternatives


def test_a_place_inside_a_longer_place_named_is_not_named_too() -> None:
    """"South Yorkshire" names South Yorkshire, not Yorkshire as well (that would widen the
    question to Wakefield and Leeds); a separate "Yorkshire" still counts."""
    assert analyse("which games developers are based in South Yorkshire?").places == [
        "south yorkshire"]
    assert analyse("firms in Leamington Spa").places == ["leamington spa"]
    assert analyse("Yorkshire firms, or only South Yorkshire ones?").places == [
        "south yorkshire", "yorkshire"]


def test_expected_kind_of_answer() -> None:
    assert analyse("How many staff does Sage have?").expects == {NUMBER}
    assert analyse("When was Sage founded?").expects == {DATE}
    assert analyse("Who acquired Kontainers?").expects == {NAME}
    assert analyse("What does Kainos do?").expects == frozenset()


def test_compound_questions_split_and_share_their_subject() -> None:
    """The second part ("how big was its workforce") is about the first part's subject."""
    prof = analyse("who started tombola, and how big was its workforce when it was sold?")
    assert len(prof.parts) == 2
    assert {t.token for t in prof.parts[1].anchors} == {"tombola"}
    assert NUMBER in prof.parts[1].expects


def test_how_many_makes_the_counted_noun_required() -> None:
    """"how many people" needs a sentence about people (or staff, jobs...), not any number."""
    people = next(t for t in analyse("How many people work at Sumo Digital?").terms
                  if t.token == "peopl")
    assert people.required
    assert ("staff",) in people.alternatives


def test_answer_kinds_of_a_sentence() -> None:
    assert answer_kinds("Flutter bought it in November 2021 for £402m", frozenset()) >= {
        NUMBER, DATE}
    assert answer_kinds("It cut jobs in 2023 as part of a restructuring.", frozenset()) == {DATE}
    # "Double Eleven" is a name, not a number; a name the question already has is no answer.
    assert NUMBER not in answer_kinds("is Double Eleven.", frozenset())
    assert NAME not in answer_kinds("it is Sage.", frozenset({"sage"}))
    # A sentence's first word is a name only when it can be nothing else.
    assert NAME in answer_kinds("SoftBank bought it in 2024.", frozenset())
    assert NAME in answer_kinds("Kainos bought it.", frozenset())
    assert NAME not in answer_kinds("Investors bought it in 2024.", frozenset())


def test_retrieval_and_answering_widen_a_place_alike() -> None:
    """One analysis: "north east" covers Billingham (through Teesside) for the BM25 widening
    and for the anchor a sentence must be about, alike."""
    question = analyse("which north east firms make games?")
    (place,) = [t for t in question.terms if t.anchor]
    assert ("billingham",) in place.alternatives
    assert "billingham" in question.place_tokens
    assert question.places == ["north east"]
    # Words the question already has are not added again, and nothing is widened when off.
    assert not set(question.place_tokens) & set(question.search_tokens)
    assert analyse("which north east firms make games?", expand_places=False).place_tokens == []


def test_a_demonym_names_its_place() -> None:
    """"Welsh startups" are in Wales; a sentence saying "Welsh" or a place in Wales states it."""
    question = analyse("Which Welsh startups did the digital minister pick out?")
    assert question.places == ["wales"]
    (place,) = [t for t in question.terms if t.anchor]
    assert ("welsh",) in place.alternatives and ("cardiff",) in place.alternatives


def test_list_shapes_carry_the_relations_they_ask_for() -> None:
    from clusterqa.analysis.shape import ORGANISATION, WORK, shape_of

    bought = shape_of("Which Sheffield tech companies have been sold or attracted big investment?")
    assert bought.relations == ("acquired_by", "raised")
    assert shape_of("Which tech firms are based at Tramshed Tech in Cardiff?").relations == (
        "based_at",)
    assert shape_of("Which universities run the Greater Manchester AI Foundry?").relations == (
        "run_by",)
    assert shape_of("Which Leeds software firms have floated on a stock market?").relations == (
        "listed",)
    assert shape_of("Which Leamington studios have closed?").relations == ("closed",)
    assert shape_of("Which betting firms has Flutter ended up owning?").relations == (
        "acquired_by",)
    works = shape_of("Apart from Minecraft Dungeons, what titles has Double Eleven worked on?")
    assert (works.kind, works.item) == ("list", WORK)
    engine = shape_of("Which startups were early tenants of the SETsquared centre at Engine Shed?")
    assert (engine.item, engine.sectors) == (ORGANISATION, ())  # "Engine" is a name's word


def test_deal_and_price_questions() -> None:
    from clusterqa.analysis.question import DEAL, PRICE

    def states(question: str) -> set[str]:
        return set().union(*(p.states for p in analyse(question).parts))

    assert states("Which Canadian company bought Kontainers?") == {DEAL}
    assert states("What did Ubisoft pay Activision for FreeStyleGames?") == {DEAL, PRICE}
    assert states("Which Canadian company bought Kontainers, and how much did it pay?") == {
        DEAL, PRICE}


def test_the_gazetteer_knows_every_english_region_before_its_first_report() -> None:
    """A region's first report finds its towns: the East of England holds Cambridge and,
    through Suffolk, Martlesham; London, the South East and the East Midlands have theirs."""
    from clusterqa.analysis.places import places_within

    within = places_within()
    assert {"cambridge", "norwich", "suffolk", "martlesham"} <= within["east of england"]
    assert {"shoreditch", "canary wharf"} <= within["london"]
    assert {"oxford", "brighton", "harwell"} <= within["south east"]
    assert {"nottingham", "loughborough"} <= within["east midlands"]
    # Names other places or people share are left out on purpose.
    assert not {"boston", "stratford", "hastings"} & (within["east midlands"] | within["london"])
    # A place by its other name, or by the name of its conurbation, finds the same towns.
    assert "derry" in within["londonderry"] and "londonderry" in within["derry"]
    assert "glasgow" in within["clydeside"]
    assert "derri" in analyse("How many staff were in the Londonderry area?").place_tokens
