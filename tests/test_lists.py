"""List answers from the entity table over a small hand-written corpus of two regions: the
constraints a question puts (kind, place through the hierarchy or a hub, sector by lexicon or
by the embedder, relation to a thing it names, what else it asks), and the citations."""

from __future__ import annotations

import numpy as np

from clusterqa.analysis import analyse
from clusterqa.answer.lists import answer_from_table
from clusterqa.entities.extract import extract
from clusterqa.entities.table import EntityTable
from clusterqa.loading.chunking import Chunker
from clusterqa.retrieve import Retrieval
from clusterqa.store import CorpusView
from clusterqa.store.lexical import LexicalIndex
from clusterqa.types import Document, DocumentMeta, Page, StoredDocument

WALES = """Compound semiconductors. Since 2015 the cluster has drawn £850m of investment. Its anchor
firms include IQX, Vishnu and KLX.

Research base. Cardiff University hosts the Institute for Compound Semiconductors.

Newport Fab, the UK's largest chip maker, was established in 1982. US group Vishnu
Intertech agreed in November 2023 to buy the plant for $177m.

SPTX Technologies, a maker of etch and deposition equipment, has its headquarters in Newport.

Startups: Afforza, a software firm based at Tramway Tech, announced 100 new jobs in 2020; AI
company Autom8 is also a Tramway tenant; and ANNA Cash and Amplify were singled out by the
digital minister.

Tramway Tech, Cardiff: workspace in a converted tramshed.
"""

NORTH_WEST = """boohaha was started in Manchester in 2006.

E-commerce and unicorns. Dealroom research found that Manchester had produced as many
$1bn companies as Amsterdam: boohaha, AO.com and Blue Prysm.

Fintech. Manchester's AccessPal, a cloud payments specialist, secured £9m of venture capital.

Matillio, a Manchester data company, became a unicorn in 2021.

Firefly was formed in 2012 by veterans of Sony's Studio Liverpool; Sony agreed to buy the
studio in September 2021. The Liverpool studio became the 14th member of PlayStation Studios.

Wushi Studios, founded in Liverpool in 2017, has worked on Fall Guys. Keywords Studios bought it
in August 2024.

d4t, a co-development studio in Runcorn set up in 2011, is part of the Keywords group.
"""


class SectorEmbedder:
    """Vectors that say only whether a text is about chips: enough to show the embedder
    placing a firm in a sector the lexicon gives it no word for."""

    name = "stub"

    def embed(self, texts):
        return np.array([[1.0, 0.0] if any(w in t.lower() for w in ("semiconductor", "etch"))
                         else [0.0, 1.0] for t in texts], dtype=np.float32)


def view() -> CorpusView:
    documents = [Document(f"{region}/brief.md", f"/corpus/{region}/brief.md",
                          DocumentMeta(f"{region} brief", "brief", region), [Page(None, text)])
                 for region, text in (("wales", WALES), ("north-west", NORTH_WEST))]
    chunks = [c for d in documents for c in Chunker().chunk(d)]
    stored = {d.doc_id: StoredDocument.from_document(d) for d in documents}
    facts = [(d.doc_id, f) for d in documents for f in extract(d)]
    return CorpusView(1, {c.chunk_id: c for c in chunks}, stored,
                      LexicalIndex.build([], [], []), EntityTable.build(facts, stored, chunks))


VIEW = view()


def items(question: str, embedder=None) -> list[str]:
    answer = answer_from_table(Retrieval(analyse(question), [], None, {}, VIEW), None, embedder)
    if answer is None:
        return []
    for item in answer.items:  # every item's citation holds its name
        passage = next(c.text for c in answer.citations if c.n == item.citations[0])
        assert item.name in passage, item
    assert answer.text.startswith(answer.lead)
    return [i.name for i in answer.items]


def test_a_relation_to_a_named_thing_and_the_place_hierarchy() -> None:
    """"belong to Keywords Studios": bought by it or part of its group; North West holds
    Liverpool and Runcorn."""
    assert sorted(items("Which North West studios belong to Keywords Studios?")) == [
        "Wushi Studios", "d4t"]


def test_a_relation_to_anything() -> None:
    """"have been bought, and by whom?": the studios the table records a buyer for, the
    Liverpool one placed by "The Liverpool studio"."""
    assert sorted(items("Which Liverpool games studios have been bought, and by whom?")) == [
        "Firefly", "Wushi Studios"]


def test_tenants_of_a_hub_are_placed_where_it_is() -> None:
    assert sorted(items("Which tech firms are based at Tramway Tech in Cardiff?")) == [
        "Afforza", "Autom8"]


def test_a_demonym_names_the_region_and_other_words_must_be_stated() -> None:
    """"Welsh startups" (Wales) "the digital minister picked out": only those the clause
    naming them says it of, not every startup of the paragraph."""
    assert sorted(items("Which Welsh startups did the digital minister pick out?")) == [
        "ANNA Cash", "Amplify"]


def test_what_the_lexicon_cannot_say_is_read_from_the_sentence_or_its_lead_in() -> None:
    """"unicorns": the lead-in "E-commerce and unicorns." covers the list after it; the
    payments firm of the "Fintech." paragraph is left out."""
    assert sorted(items("Which Manchester tech companies have become unicorns?")) == [
        "AO.com", "Blue Prysm", "Matillio", "boohaha"]
    assert sorted(items("Which companies anchor the Welsh compound semiconductor cluster?")) == [
        "IQX", "KLX", "Vishnu"]


def test_a_sector_by_the_embedders_similarity() -> None:
    """SPTX's words ("etch and deposition equipment") are in no sector of the lexicon: without
    the embedder it is not a semiconductor company, with it it is."""
    question = "Which semiconductor companies have operations in Newport?"
    assert sorted(items(question)) == ["Newport Fab"]
    assert sorted(items(question, SectorEmbedder())) == ["Newport Fab", "SPTX Technologies"]


class EverythingAlike:
    """An embedder for which every text is alike: the worst case of "anchor firms" looking
    like "fintech firms"."""

    name = "stub"

    def embed(self, texts):
        return np.ones((len(texts), 2), dtype=np.float32) / np.sqrt(2)


def test_the_embedder_never_overrides_a_sector_the_lexicon_gives() -> None:
    """A firm the lexicon puts in semiconductors is no fintech firm however alike the
    embedder finds the words; one the lexicon says nothing of may still be."""
    found = items("Which fintech firms are in Wales?", EverythingAlike())
    assert not {"IQX", "KLX", "Vishnu", "Newport Fab"} & set(found)
    assert "SPTX Technologies" in found


def test_no_constraint_the_table_can_check_no_answer() -> None:
    assert items("Which firms are there?") == []


def test_a_name_with_only_a_sector_around_it_is_no_studio() -> None:
    """"Lemmings and Grand Theft Auto were created there" in a games paragraph gives those
    names the games sector and nothing else: titles, not studios. A studio the text places
    or founds is listed."""
    text = ("Games. Dundee has a long games pedigree: Lemmings and Grand Theft Auto were "
            "created there. Dundee studio Pixel Kiln was founded in 2004.\n")
    document = Document("scotland/brief.md", "/corpus/scotland/brief.md",
                        DocumentMeta("Scotland brief", "brief", "scotland"), [Page(None, text)])
    chunks = Chunker().chunk(document)
    stored = {document.doc_id: StoredDocument.from_document(document)}
    table = EntityTable.build([(document.doc_id, f) for f in extract(document)], stored, chunks)
    own = CorpusView(1, {c.chunk_id: c for c in chunks}, stored, LexicalIndex.build([], [], []),
                     table)
    answer = answer_from_table(Retrieval(analyse("Which games studios are in Scotland?"), [],
                                         None, {}, own), None)
    assert answer is not None and [i.name for i in answer.items] == ["Pixel Kiln"]
