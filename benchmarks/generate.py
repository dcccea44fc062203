"""A deterministic generator of realistic ELM offers for benchmarks.

``generate_offers(n, seed)`` yields offers as Turtle text, varied the way a
national catalogue is: 1 provider per ~40 offers (with location, address and
quality assurance), Swedish and English titles, ISCED-F fields, EQF levels 3-8,
modes, schedules, ECTS or hours, prices in SEK or EUR, start dates through
2027, and a share of deliberately broken offers (about 4%: a date written as
xsd:date, or a field of education from the wrong list) and of incomplete
micro-credentials (no assessment type).

Run as a script to write a file:  python benchmarks/generate.py 10000 offers.ttl
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator

PREFIXES = """@prefix elm: <http://data.europa.eu/snb/model/elm/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix rov: <http://www.w3.org/ns/regorg#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix isced: <http://data.europa.eu/snb/isced-f/> .
@prefix eqf: <http://data.europa.eu/snb/eqf/> .
@prefix lang: <http://publications.europa.eu/resource/authority/language/> .
@prefix country: <http://publications.europa.eu/resource/authority/country/> .
@prefix cur: <http://publications.europa.eu/resource/authority/currency/> .
@prefix mode: <http://data.europa.eu/snb/learning-assessment/> .
@prefix sched: <http://data.europa.eu/snb/learning-schedule/> .
@prefix ass: <http://data.europa.eu/snb/assessment/> .
@prefix acc: <http://data.europa.eu/snb/accreditation/> .
@prefix credit: <http://data.europa.eu/snb/education-credit/> .
@prefix lot: <http://data.europa.eu/snb/learning-opportunity/> .
"""

FIELDS = ["0613", "0612", "0611", "0413", "0414", "0411", "0913", "0923", "0111", "0114", "0231", "0232",
          "0521", "0713", "0714", "0715", "0732", "0311", "0313", "0421", "1013", "1041", "0811", "0215"]
TOPICS = [
    ("Dataanalys med Python", "Data analysis with Python"), ("Projektledning", "Project management"),
    ("Digital tillgänglighet", "Digital accessibility"), ("Hållbar energiteknik", "Sustainable energy technology"),
    ("Omvårdnad i hemmet", "Home care nursing"), ("Redovisning för småföretag", "Accounting for small businesses"),
    ("Svenska som andraspråk", "Swedish as a second language"), ("Cybersäkerhet", "Cyber security"),
    ("Ledarskap i skolan", "School leadership"), ("Cirkulär ekonomi", "Circular economy"),
    ("Maskininlärning", "Machine learning"), ("Arbetsmiljö och säkerhet", "Health and safety at work"),
]
MODES = ["920fbb3cbe", "9191af2ed9", "e92d221e4d"]
SCHEDULES = ["72a0ab92fa", "f230bae523", "67395e6b5a"]
ASSESSMENTS = ["6e6cb2cc78", "d30284d7df", "4f03b91c0e", "795dac4096", "6a4db9f11d"]
LANGUAGES = ["SWE", "ENG", "FIN", "DEU", "NOR", "DAN"]
COUNTRIES = ["SWE", "FIN", "DEU", "NLD", "DNK", "NOR", "AUT", "IRL", "EST"]


def provider_turtle(p: int, rng: random.Random) -> str:
    base = f"https://data.provider{p}.example/"
    country = COUNTRIES[p % len(COUNTRIES)]
    return f"""
<{base}org> a elm:Organisation ; rov:legalName "Utbildningsanordnare {p}"@sv , "Education provider {p}"@en ;
    foaf:homepage <{base}org/home> ; elm:location <{base}org/location> ; elm:accreditation <{base}org/qa> .
<{base}org/home> a elm:WebResource ; elm:contentUrl "https://www.provider{p}.example/"^^xsd:anyURI .
<{base}org/location> a dcterms:Location ; elm:address <{base}org/address> .
<{base}org/address> a elm:Address ; elm:countryCode country:{country} .
<{base}org/qa> a elm:Accreditation ; dcterms:type acc:bb4618238e ; dcterms:title "Institutional review {2020 + p % 6}"@en ;
    elm:organisation <{base}org> ; elm:accreditingAgent <https://qa.example/agency> .
"""


QA_AGENCY = """
<https://qa.example/agency> a elm:Organisation ; rov:legalName "National quality assurance agency"@en ;
    elm:location <https://qa.example/agency/location> .
<https://qa.example/agency/location> a dcterms:Location ; elm:address <https://qa.example/agency/address> .
<https://qa.example/agency/address> a elm:Address ; elm:countryCode country:SWE .
"""


def offer_turtle(i: int, rng: random.Random, variant: int = 0) -> str:
    p = i // 40
    base = f"https://data.provider{p}.example/"
    o = f"{base}offer/{i}"
    sv, en = TOPICS[i % len(TOPICS)]
    level = 3 + i % 6
    field = FIELDS[(i * 7) % len(FIELDS)]
    month = 1 + (i % 12)
    day = 1 + (i % 27)
    ects = rng.choice(["1.5", "3", "4.5", "5", "7.5", "10", "15"])
    price = rng.choice(["0", "950", "2500", "4900.50"])
    currency = "EUR" if COUNTRIES[p % len(COUNTRIES)] != "SWE" else "SEK"
    language = LANGUAGES[i % len(LANGUAGES)]
    broken = i % 25 == 7
    start = f'"2027-{month:02d}-{day:02d}"^^xsd:date' if broken and i % 2 else f'"2027-{month:02d}-{day:02d}T08:00:00Z"^^xsd:dateTime'
    field_iri = "eqf:5" if broken and not i % 2 else f"isced:{field}"
    assessment = "" if i % 9 == 4 else f" ; elm:provenBy <{o}/assessment>"
    suffix = f" (v{variant})" if variant else ""
    text = f"""
<{o}> a elm:LearningOpportunity ;
    dcterms:title "{sv} {i}{suffix}"@sv , "{en} {i}{suffix}"@en ;
    dcterms:description "Kurs {i} i {sv.lower()} för yrkesverksamma."@sv , "Course {i} in {en.lower()} for professionals."@en ;
    dcterms:type lot:05053c1cbe ;
    foaf:homepage <{o}/page> ; elm:providedBy <{base}org> ;
    elm:learningAchievementSpecification <{o}/spec> ; elm:defaultLanguage lang:{language} ;
    elm:mode mode:{MODES[i % 3]} ; elm:learningSchedule sched:{SCHEDULES[i % 3]} ;
    dcterms:temporal <{o}/period> ; elm:priceDetail <{o}/price> .
<{o}/page> a elm:WebResource ; elm:contentUrl "https://www.provider{p}.example/courses/{i}"^^xsd:anyURI .
<{o}/period> a dcterms:PeriodOfTime ; elm:startDate {start} .
<{o}/price> a elm:PriceDetail ; elm:amount <{o}/amount> .
<{o}/amount> a elm:Amount ; elm:unit cur:{currency} ; rdf:value "{price}"^^xsd:decimal .
<{o}/spec> a elm:LearningAchievementSpecification ;
    dcterms:title "{sv} {i}"@sv , "{en} {i}"@en ;
    elm:ISCEDFCode {field_iri} ; dcterms:language lang:{language} ; elm:educationLevel eqf:{level} ;
    elm:learningOutcome <{o}/outcome/1> , <{o}/outcome/2> ; elm:creditPoint <{o}/credit> ;
    elm:awardingOpportunity <{o}/award>{assessment} .
<{o}/outcome/1> a elm:LearningOutcome ; dcterms:title "Can apply the basics of {en.lower()}."@en .
<{o}/outcome/2> a elm:LearningOutcome ; dcterms:title "Kan analysera {sv.lower()} i praktiken."@sv .
<{o}/credit> a elm:CreditPoint ; elm:framework credit:6fcec5c5af ; elm:point "{ects}" .
<{o}/award> a elm:AwardingOpportunity ; elm:awardingBody <{base}org> ; elm:learningAchievementSpecification <{o}/spec> .
"""
    if assessment:
        text += f"""<{o}/assessment> a elm:LearningAssessmentSpecification ; dcterms:title "Examination {i}"@en ;
    dcterms:type ass:{ASSESSMENTS[i % len(ASSESSMENTS)]} .
"""
    return text


def generate_offers(n: int, seed: int = 42, changed: frozenset[int] = frozenset(), start: int = 0) -> Iterator[str]:
    """Turtle chunks: prefixes, providers, then one chunk per offer (numbers ``start`` to ``start + n - 1``).

    Offers in ``changed`` (by number) get a new title. Numbering from ``start`` lets several feeds together
    make one larger catalogue without overlapping offers."""
    rng = random.Random(seed + start)
    yield PREFIXES
    yield QA_AGENCY
    for p in range(start // 40, (start + n + 39) // 40):
        yield provider_turtle(p, rng)
    for i in range(start, start + n):
        yield offer_turtle(i, rng, 1 if i in changed else 0)


def generate_document(n: int, seed: int = 42, changed: frozenset[int] = frozenset(), start: int = 0) -> bytes:
    return "".join(generate_offers(n, seed, changed, start)).encode("utf-8")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    target = sys.argv[2] if len(sys.argv) > 2 else "offers.ttl"
    with open(target, "wb") as handle:
        handle.write(generate_document(count))
    print(f"wrote {count} offers to {target}")
