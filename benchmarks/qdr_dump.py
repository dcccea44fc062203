"""Generated Europass QDR-shaped dumps: ZIP archives of many Turtle files, as the Qualification Dataset Register
publishes each country ("european-learning-data"), for the europass-dump harvester's tests and benchmark.

From benchmarks/generate.py's offers: each learning opportunity gets ``elm:status "released"`` (every
``draft_every``-th one ``"draft"``), every ``old_namespace_every``-th file uses ELM 3.3's namespace, and
each file carries ``qualification_offers`` course offers filed as qualifications (an ``elm:Qualification``
with dates, a place and a price). Files go into ``parts`` ZIP archives, listed by a DCAT catalogue.

    .venv/bin/python benchmarks/qdr_dump.py 250000 /tmp/qdr     # 250,000 offers in 250 files, 9 parts
"""

from __future__ import annotations

import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate_document  # noqa: E402

ELM = "http://data.europa.eu/snb/model/elm/"
ELM_33 = "http://data.europa.eu/snb/model/ontology/"


@dataclass
class Dump:
    parts: list[Path]
    catalogue: Path
    released: int
    drafts: int
    qualification_offers: int


def file_turtle(number: int, per_file: int, draft_every: int, qualification_offers: int, changed: frozenset[int] = frozenset()) -> tuple[str, int, int]:
    start = number * per_file
    text = generate_document(per_file, start=start, changed=changed).decode("utf-8")
    counter = {"i": start, "drafts": 0}

    def status(match: re.Match) -> str:
        index = counter["i"]
        counter["i"] += 1
        draft = draft_every and index % draft_every == draft_every - 1
        counter["drafts"] += bool(draft)
        return f'{match.group(0)}\n    elm:status "{"draft" if draft else "released"}" ;'

    text = re.sub(r"a elm:LearningOpportunity ;", status, text)
    for q in range(qualification_offers):
        iri = f"https://qdr.example/qualification/{number}-{q}"
        text += f"""
<{iri}> a elm:Qualification ; elm:status "released" ;
    dcterms:title "Yrkesutbildning {number}-{q}"@sv , "Vocational course {number}-{q}"@en ;
    dcterms:description "Yrkesutbildning med start i augusti."@sv ; foaf:homepage <{iri}/page> ;
    elm:ISCEDFCode isced:0715 ; elm:EQFLevel eqf:5 ;
    elm:learningOutcome <{iri}/outcome> ; dcterms:language lang:SWE ;
    elm:providedBy <https://data.provider{start // 40}.example/org> ;
    dcterms:temporal <{iri}/period> ; elm:priceDetail <{iri}/price> .
<{iri}/page> a elm:WebResource ; elm:contentUrl "https://qdr.example/courses/{number}-{q}"^^xsd:anyURI .
<{iri}/outcome> a elm:LearningOutcome ; dcterms:title "Kan underhålla maskiner."@sv .
<{iri}/period> a dcterms:PeriodOfTime ; elm:startDate "2027-08-23T08:00:00Z"^^xsd:dateTime .
<{iri}/price> a elm:PriceDetail ; elm:amount <{iri}/amount> .
<{iri}/amount> a elm:Amount ; elm:unit cur:SEK ; rdf:value "0"^^xsd:decimal .
"""
    return text, per_file - counter["drafts"], counter["drafts"]


def write_dump(folder: Path, offers: int, files: int = 10, parts: int = 2, draft_every: int = 20,
               old_namespace_every: int = 4, qualification_offers: int = 1, base_url: str = "",
               changed: frozenset[int] = frozenset()) -> Dump:
    """Write ``parts`` ZIP archives holding ``files`` Turtle files of ``offers`` offers in all, and a DCAT catalogue."""
    folder.mkdir(parents=True, exist_ok=True)
    per_file = max(1, offers // files)
    archives = [folder / f"SE-part{n + 1}.zip" for n in range(parts)]
    handles = [zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) for path in archives]
    released = drafts = 0
    try:
        for number in range(files):
            text, kept, left = file_turtle(number, per_file, draft_every, qualification_offers, changed)
            if old_namespace_every and number % old_namespace_every == old_namespace_every - 1:
                text = text.replace(ELM, ELM_33)
            handles[number % parts].writestr(f"learning-opportunities/{number:05d}.ttl", text)
            released += kept
            drafts += left
    finally:
        for handle in handles:
            handle.close()
    distributions = "".join(
        f"""<{base_url}{path.name}#distribution> a dcat:Distribution ; dcat:downloadURL <{base_url}{path.name}> ;
    dcat:mediaType <http://www.iana.org/assignments/media-types/application/zip> .
<https://qdr.example/dataset/SE> dcat:distribution <{base_url}{path.name}#distribution> .
""" for path in archives)
    catalogue = folder / "catalogue.ttl"
    catalogue.write_text(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dcterms: <http://purl.org/dc/terms/> .\n"
        "<https://qdr.example/catalogue> a dcat:Catalog ; dcat:dataset <https://qdr.example/dataset/SE> .\n"
        '<https://qdr.example/dataset/SE> a dcat:Dataset ; dcterms:title "european-learning-data SE"@en .\n' + distributions,
        encoding="utf-8",
    )
    return Dump(archives, catalogue, released, drafts, files * qualification_offers)


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    target = Path(sys.argv[2] if len(sys.argv) > 2 else "qdr-dump")
    dump = write_dump(target, count, files=max(1, count // 1000), parts=9)
    print(f"wrote {dump.released} released offers, {dump.drafts} drafts, {dump.qualification_offers} qualification offers "
          f"in {len(dump.parts)} archives under {target}")
