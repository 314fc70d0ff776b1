"""The extraction rules one by one, each on sentences written the way the regional briefs and
the press articles are (invented firms, real places), and what each must not read into them."""

from __future__ import annotations

from clusterqa.entities.describe import OFFICE
from clusterqa.entities.extract import extract
from clusterqa.entities.names import find_names
from clusterqa.entities.table import EntityTable
from clusterqa.types import Document, DocumentMeta, Page


def facts(text: str, doc_id: str = "wales/brief.md") -> set[tuple[str, str, str | None]]:
    document = Document(doc_id, f"/corpus/{doc_id}", DocumentMeta("Brief", "brief", "wales"),
                        [Page(None, text)])
    return {(f.subject, f.relation, f.obj or f.value) for f in extract(document)
            if f.relation != "mention"}


def of(text: str, subject: str) -> set[tuple[str, str | None]]:
    return {(r, o) for s, r, o in facts(text) if s == subject}


def test_a_definite_description_is_the_firm_the_paragraph_before_named() -> None:
    """An article's one-sentence paragraphs: "The scaleup digital entertainment firm" is
    Quill Works, the firm named last just before; it is placed, described and credited."""
    text = ("Also in the spotlight, alongside sampling company Zebedee, is Quill Works.\n\n"
            "The scaleup digital entertainment firm, based in Middlesbrough, has worked on "
            "Moon Harbour with Microsoft, Salt Road with Paradox and PS Vita's Little Lanterns.\n")
    quill = of(text, "Quill Works")
    assert {("place", "Middlesbrough"), ("kind", "firm"), ("worked_on", "Moon Harbour"),
            ("worked_on", "Salt Road"), ("worked_on", "PS Vita's Little Lanterns")} <= quill
    assert ("worked_on", "Microsoft") not in quill  # a client, not a work
    assert not of(text, "Zebedee") & {("place", "Middlesbrough")}


def test_a_deal_is_read_whoever_the_sentence_names_it_by() -> None:
    """"agreed to buy the studio", "completed a cash purchase of the studio", "bought the town's
    X", "the A and B brands", a buyer after "when", and a passive with an adverb."""
    text = ("Brightwave was set up in 2010 and was based in Wilmslow when Warner's Tin Games "
            "acquired it. Electronic Arts completed a $1.4bn cash purchase of the studio in "
            "September 2021.\n\n"
            "Larkfield, the Leamington studio, opened in 2019. Its parent Fenn Group then bought "
            "the town's Lab77, adding 29 staff.\n\n"
            "halo was started in Manchester in 2006. In August 2019 the fast-fashion group bought "
            "the Karen Millen and Coast brands. It had bought Manchester rival PrettyThing in "
            "2016.\n\n"
            "Veequo is registered at Tech Hub in Swansea. The Swansea firm was quietly bought by "
            "Amazon in November 2021.\n")
    assert {("acquired_by", "Tin Games"), ("acquired_by", "Electronic Arts")} <= of(
        text, "Brightwave")
    assert {("acquired_by", "Fenn Group"), ("place", "Leamington")} <= of(text, "Lab77")
    assert ("acquired_by", "halo") in of(text, "Karen Millen")
    assert ("acquired_by", "halo") in of(text, "Coast")
    assert ("acquired_by", "halo") in of(text, "PrettyThing")
    assert {("acquired_by", "Amazon"), ("place", "Swansea"), ("based_at", "Tech Hub")} <= of(
        text, "Veequo")
    assert ("acquired_by", "Warner") not in of(text, "Brightwave")


def test_sales_stakes_and_investments() -> None:
    """"X's co-founder sold the ISP to Y" (X was bought), "sold a 21% stake to Y" (Y invested),
    "Y invested £13m in data analytics firm X", a round "led by" Y, a valuation no amount."""
    text = ("Sheffield: Netplus's co-founder sold the ISP to BT in January 2007 in a deal reported "
            "at £67m; Fosun invested £13m in data analytics firm The Flowe.\n\n"
            "Gymbeam, the Solihull fitness brand, sold a 21% stake to General Atlantic for £200m "
            "in August 2020.\n\n"
            "Skyfinder was founded in 2003. Sequoia's 2013 investment valued it at $800m.\n")
    assert {("acquired_by", "BT"), ("place", "Sheffield")} <= of(text, "Netplus")
    assert next(f for f in facts(text) if f[:2] == ("Netplus", "acquired_by"))
    flowe = of(text, "The Flowe")
    assert {("raised", "£13m"), ("invested_by", "Fosun"), ("place", "Sheffield")} <= flowe
    assert ("invested_by", "General Atlantic") in of(text, "Gymbeam")
    assert ("invested_by", "Sequoia") in of(text, "Skyfinder")
    assert ("BT", "place", "Sheffield") not in facts(text)  # a buyer is not the label's


def test_hubs_and_their_tenants() -> None:
    """"it has hosted A, B and C", "tenants such as", "a software firm based at X", "a X
    tenant", and a tenant placed where its hub is."""
    text = ("Boxo Zone, Middlesbrough: set up in 2009, it has hosted Quill Works, Behaviour "
            "Games and Big Byte.\n\n"
            "Startups: Afforza, a software firm based at Tramway Tech, announced 100 new jobs "
            "in 2020; AI company Autom8 is also a Tramway tenant.\n\n"
            "Tramway Tech, Cardiff: workspace in a converted tramshed.\n")
    got = facts(text)
    assert {("Quill Works", "based_at", "Boxo Zone"), ("Behaviour Games", "based_at", "Boxo Zone"),
            ("Big Byte", "based_at", "Boxo Zone"), ("Boxo Zone", "founded", "2009"),
            ("Boxo Zone", "place", "Middlesbrough")} <= got
    assert {("Afforza", "based_at", "Tramway Tech"), ("Autom8", "based_at", "Tramway"),
            ("Afforza", "kind", "startup"), ("Autom8", "kind", "startup")} <= got
    assert ("Tramway Tech", "kind", "startup") not in got  # "based at X": not a startup
    assert not any(s == "AI" for s, _, _ in got)  # "AI company": a description


def test_founders_and_where_they_came_from() -> None:
    text = ("Kwali, based in Leamington Spa, was founded in 2011 by Codemasters co-founder David "
            "Darling.\n\n"
            "Playfield Games was set up in 2010 by developers from Ubisoft Reflections, Criterion "
            "and Codemasters, and Microsoft bought it in June 2018.\n\n"
            "Gridiron was founded in 1986 by the brothers Richard and David Darling and built the "
            "Colin McRae Rally, DiRT and GRID series.\n\n"
            "Runeforge, the fantasy game developer, was founded in 2001 by Andrew Gower, his "
            "brother Paul Gower and Constant Tedder, and its offices are in Cambridge.\n")
    assert {("founded_by", "David Darling"), ("founders_from", "Codemasters")} <= of(text,
                                                                                     "Kwali")
    playfield = of(text, "Playfield Games")
    assert {("founders_from", "Ubisoft Reflections"), ("founders_from", "Criterion"),
            ("founders_from", "Codemasters"), ("acquired_by", "Microsoft")} <= playfield
    assert not {r for r, _ in playfield} & {"founded_by"}
    gridiron = of(text, "Gridiron")
    assert ("founded_by", "David Darling") in gridiron
    assert ("founded_by", "Colin McRae Rally") not in gridiron
    assert {("worked_on", "Colin McRae Rally"), ("worked_on", "DiRT"),
            ("worked_on", "GRID")} <= gridiron
    # A kin or role before a name does not end the list of founders.
    assert {("founded_by", "Andrew Gower"), ("founded_by", "Paul Gower"),
            ("founded_by", "Constant Tedder")} <= of(text, "Runeforge")


def test_lead_ins_give_place_sector_and_kind_to_the_names_they_introduce() -> None:
    """"Cornish software:" is a place (by its adjective) and a sector; "Compound
    semiconductors." a sector for the firms listed after it; "Manchester anchors the region:"
    is a sentence, not a lead-in."""
    text = ("Cornish software: Headfirst, based in Pool, writes software for the telecoms "
            "industry, and Bluefin Software is based in Redruth.\n\n"
            "Compound semiconductors. Its anchor firms include IQX, Vishnu and KLX.\n\n"
            "Manchester anchors the region: Tech Nation data put nine unicorns there.\n")
    assert {("place", "Cornwall"), ("sector", "software")} <= of(text, "Headfirst")
    assert {("place", "Redruth"), ("sector", "software")} <= of(text, "Bluefin Software")
    assert {("sector", "semiconductors"), ("kind", "firm")} <= of(text, "KLX")
    assert ("place", "Manchester") not in of(text, "Tech Nation")


def test_an_office_is_no_home() -> None:
    text = ("Sky Wagers began in Harrogate in 1999. By 2017 it had more than 1,200 staff, a Leeds "
            "headquarters and offices in Sheffield, London and Rome.\n")
    document = Document("y/b.md", "/c/y/b.md", DocumentMeta("B", "brief", "yorkshire-humber"),
                        [Page(None, text)])
    places = {(f.obj, f.value) for f in extract(document) if f.subject == "Sky Wagers"
              and f.relation == "place"}
    assert ("Harrogate", None) in places and ("Sheffield", "office") in places


def test_works_lists_keep_titles_whole_and_unnamed_projects() -> None:
    text = ("Rockfall Leeds started as Mobius Entertainment in December 1997; Take-Two acquired it "
            "in March 2004, after which it made the PSP titles Grand Theft Auto: Liberty City "
            "Stories, Vice City Stories and Chinatown Wars.\n\n"
            "Kainex was founded in Belfast in 1986. Its projects include the NHS England app and "
            "the UK's online passport renewal service.\n")
    rockfall = of(text, "Rockfall Leeds")
    assert {("worked_on", "Grand Theft Auto: Liberty City Stories"),
            ("worked_on", "Chinatown Wars"), ("alias", "Mobius Entertainment"),
            ("acquired_by", "Take-Two")} <= rockfall
    assert not any(r == "worked_on" for r, _ in of(text, "Take-Two"))  # "it made": Rockfall
    assert {("worked_on", "NHS England app"),
            ("worked_on", "online passport renewal service")} <= of(text, "Kainex")


def test_names_of_one_thing_are_one_entity() -> None:
    """Other names a document gives ("formerly", an acronym in brackets, "began as", "renamed
    it"), spellings ("Auto Trader"/"Autotrader") and a short form used once ("Tramway" for
    "Tramway Tech"), but not a short form of several ("Boxo" with "Boxo Zone" and "Boxo One")."""
    text = ("The Hut Collective (THC), the Manchester online retailer, floated in 2020.\n\n"
            "Catalyx (formerly Northern Ireland Science Park): founded in 1999.\n\n"
            "Ultrasense began as Ultrasonix, a University of Bristol spinout.\n\n"
            "Freestyle Studio was founded in 2002. Ubisoft acquired the studio in 2017 and "
            "renamed it Ubisoft Leamington.\n\n"
            "Auto Trader listed in 2015. Boohaha, AO.com and Autotrader are Manchester firms.\n\n"
            "Afforza is based at Tramway Tech. Autom8 is also a Tramway tenant.\n\n"
            "Boxo Zone, Middlesbrough: set up in 2009, it has hosted Quill and Big Byte.\n\n"
            "Quill started out in the Boxo One incubator. Boxo has grown since 2009.\n")
    document = Document("nw/b.md", "/c/nw/b.md", DocumentMeta("B", "brief", "north-west"),
                        [Page(None, text)])
    table = EntityTable.build([(document.doc_id, f) for f in extract(document)], {}, [])
    for a, b in [("THC", "Hut Collective"), ("Northern Ireland Science Park", "Catalyx"),
                 ("Ultrasonix", "Ultrasense"), ("Ubisoft Leamington", "Freestyle Studio"),
                 ("Autotrader", "Auto Trader"), ("Tramway", "Tramway Tech")]:
        assert table.key(a) == table.key(b), (a, b)
    assert table.key("Boxo") not in (table.key("Boxo Zone"), table.key("Boxo One"))


def test_capitalised_descriptions_are_no_names() -> None:
    """"the Bristol AI chip designer": Bristol and a sector word; "Clyde Orbital", "Morgan
    Stanley" are firms though their first words are given names."""
    text = "Graphcorp, the Bristol AI chip designer, was founded in 2016.\n"
    assert not any(s == "Bristol AI" for s, _, _ in facts(text))
    assert {("kind", "firm"), ("place", "Bristol"), ("sector", "semiconductors")} <= of(
        text, "Graphcorp")
    assert {m.category for m in find_names("Clyde Space and Morgan Stanley hired.")} == {
        "organisation"}


def test_a_common_word_opening_a_sentence_is_the_name_the_document_gives_elsewhere() -> None:
    """"Arm was founded in 1990": "Arm" is a common word, so a sentence opening with it is no
    name by itself; the document naming it mid-sentence ("... and Arm listed") says it is."""
    text = ("Arm was founded in 1990 in Cambridge. A sale to Nvidia was abandoned in 2022, and "
            "Arm listed on Nasdaq in 2023.\n\nSeveral firms grew here. Arm is the best known.\n")
    arm = of(text, "Arm")
    assert ("founded", None) in arm or any(r == "founded" for r, _ in arm)
    assert ("place", "Cambridge") in arm
    # A common word that opens a sentence and is never a name stays no name.
    assert not of(text, "Several") and not of(text, "A")
    # Without the mid-sentence use nothing says "Arm" is a name: the rules stay cautious.
    assert not of("Arm was founded in 1990 in Cambridge.\n", "Arm")


def test_a_listing_on_a_stock_market_and_only_that() -> None:
    text = ("Skyforge Holdings, the Leeds payments firm, floated on the London Stock Exchange "
            "in June 2024.\n\n"
            "Brightwave went public in 2021 and has 400 staff.\n\n"
            "Orbitline has never floated. Its chairman floated the idea of a listing.\n\n"
            "Corn Exchange Labs, in a listed building, is listed among the best employers.\n")
    assert ("listed", "London Stock Exchange") in of(text, "Skyforge Holdings")
    assert ("listed", None) in of(text, "Brightwave")
    assert not {r for r, _ in of(text, "Orbitline")} & {"listed"}
    assert ("place", "Cambridge") in of("Pixelberry began as an educational charity in "
                                        "Cambridge.\n", "Pixelberry")
    assert not {r for r, _ in of(text, "Corn Exchange Labs")} & {"listed"}


def test_where_a_firm_grew_out_of() -> None:
    text = ("Bluetooth pioneer Wavelink grew out of the consultancy Fenland Consultants in "
            "1998.\n\n"
            "Harbour Insurance traces its roots to the Norwich Mutual, set up in the city in "
            "1797.\n\n"
            "Cellcraft was spun out of Oxbridge University.\n")
    assert ("grew_out_of", "Fenland Consultants") in of(text, "Wavelink")
    assert ("grew_out_of", "Norwich Mutual") in of(text, "Harbour Insurance")
    assert ("grew_out_of", "Oxbridge University") in of(text, "Cellcraft")
    assert not {r for r, _ in of(text, "Fenland Consultants")} & {"grew_out_of"}


def test_where_its_people_work_are_sites_not_its_home() -> None:
    """"had 1,500 staff in Belfast and 900 in Derry", "600 jobs across Belfast and Derry":
    sites of the firm (an office, not where it is based); a count of jobs a fund targets in a
    place it does not say is no firm's."""
    text = ("Quill Insure NI was set up in 1998 to build software for its US parent. In 2020 it "
            "had 1,500 staff in Belfast and 900 in Derry and Strabane.\n\n"
            "Ferntree, headquartered in Belfast, has announced more than 600 jobs across "
            "Belfast and Derry over five years.\n\n"
            "The City Deal is targeting up to 6,300 jobs by 2033.\n")
    assert {("place", "Derry"), ("place", "Belfast")} <= of(text, "Quill Insure NI")
    assert ("place", "Derry") in of(text, "Ferntree")
    assert not {r for r, _ in of(text, "City Deal")} & {"place"}
    document = Document("ni/brief.md", "/corpus/ni/brief.md",
                        DocumentMeta("Brief", "brief", "northern-ireland"), [Page(None, text)])
    sites = {(f.obj, f.value) for f in extract(document)
             if f.subject == "Ferntree" and f.relation == "place"}
    assert ("Derry", OFFICE) in sites and ("Belfast", None) in sites


def test_a_firm_that_closed_collapsed_or_merged_away() -> None:
    """Closures by the firm's name, by "the company" or as what another firm closed ("it"
    being the studio just named, not the clause's subject); a round or a deal that closed,
    or a firm that closed a round, is no closure."""
    text = ("Marwick opened the world's first radio factory in Chelmsford in 1898; the company "
            "collapsed in 2001.\n\n"
            "Fenland Mutual, founded in Norwich in 1797, merged with CGU in 2000 to form "
            "Avira.\n\n"
            "Tinwhistle was founded in 2002. Ubisoft acquired the studio in 2017 and renamed it "
            "Ubisoft Warwick; Ubisoft has since closed it.\n\n"
            "Embersprite was formed in 2012 by veterans of Sony's Studio Wirral, after Sony "
            "closed it; Sony agreed to buy the studio in 2021.\n\n"
            "Quill Works closed a £5m round in March 2021. The deal closed in 2020.\n")
    closed = {s for s, r, _ in facts(text) if r == "closed"}
    assert closed == {"Marwick", "Fenland Mutual", "Tinwhistle", "Studio Wirral"}
    assert ("Fenland Mutual", "closed", "Avira") in facts(text)
    assert not {"Embersprite", "Ubisoft", "Sony", "Quill Works"} & closed


def test_what_a_name_says_of_its_place_and_kind() -> None:
    """A town closing a name places the firm ("Rockstar Wakefield"), an area or region does
    not (it says less than the sentences will); "University of X" is a university."""
    text = ("Rockstar Wakefield was founded in 1997. Allstate NI was set up in 1998. The park "
            "brings the University of Sheffield together with Boeing.\n")
    assert ("place", "Wakefield") in of(text, "Rockstar Wakefield")
    assert not {r for r, _ in of(text, "Allstate NI")} & {"place"}
    assert {("kind", "university"), ("place", "Sheffield")} <= of(text, "University of Sheffield")
