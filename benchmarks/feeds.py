"""Synthetic feeds of the same N offers in each harvester kind, and a local HTTP server for them.

One offer model (``Offer``, made by ``offers(n)``) is written in six formats, so that the kinds are
comparable: the same titles (Swedish and English), fields of education, EQF levels, modes,
schedules, ECTS, prices, dates and providers. The model follows benchmarks/generate.py offer by
offer (same constants, same random draws for ECTS and price), and the ``rdf`` feed *is*
``generate_document(n)``. About 4 % of the offers are deliberately broken (every 25th, from number
7): in the RDF feed as generate.py breaks them (a start date typed xsd:date, or an EQF level as the
field of education); in the other formats the field of education is not an ISCED-F field (an EQF
IRI in LOQ XML, the words "Yrkesutbildning" elsewhere), which the harvesters report as unmapped and
the catalogue quarantines. Every ninth offer (from number 4) names no assessment, so it publishes
but is not a complete micro-credential.

What each format carries is what its harvester maps (see each module's ``mapping`` table), so a
format without a field for something (schema.org has no assessment type, OOAPI no quality
assurance: that comes from the source option) simply lacks it.

    rdf          offers.ttl                                      one document (generate.py)
    elm-xml      loq.xml                                         one LOQ XML document (Courses)
    schemaorg    sitemap.xml + kurser/N.html, robots.txt         one page per offer, JSON-LD
    xcri-cap     xcri.xml                                        catalog > provider > course > presentation
    ooapi        ooapi/v5/organizations, courses (paged), courses/ID/offerings, programs (empty)
    spreadsheet  offers.csv                                      the provider template's columns, ';', UTF-8 BOM

``FeedServer(folder)`` serves a folder on 127.0.0.1 from a ``ThreadingHTTPServer`` thread (HTTP/1.1,
keep-alive, TCP_NODELAY as real servers set it): Content-Type by suffix, a strong ETag (content hash) and Last-Modified on every
response, 304 to If-None-Match / If-Modified-Since, and a count of requests (and of 304s) per
prefix. OOAPI list requests are answered the way the harvester's static copies are laid out:
``/ooapi/v5/courses?pageNumber=3&pageSize=250`` is ``ooapi/v5/courses.page-3.json``.

    python benchmarks/feeds.py 1000 /tmp/feeds       # write the six feeds for 1,000 offers
"""

from __future__ import annotations

import csv
import hashlib
import http.server
import io
import json
import os
import random
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from generate import (  # noqa: E402
    ASSESSMENTS,
    COUNTRIES,
    FIELDS,
    LANGUAGES,
    MODES,
    SCHEDULES,
    TOPICS,
    generate_document,
)

from harvesters.spreadsheet import template_columns

SNB = "http://data.europa.eu/snb/"
AUTHORITY = "http://publications.europa.eu/resource/authority/"
COUNTRY_NAMES = {"SWE": ("SE", "Sweden"), "FIN": ("FI", "Finland"), "DEU": ("DE", "Germany"), "NLD": ("NL", "Netherlands"),
                 "DNK": ("DK", "Denmark"), "NOR": ("NO", "Norway"), "AUT": ("AT", "Austria"), "IRL": ("IE", "Ireland"),
                 "EST": ("EE", "Estonia")}
LANGUAGE_CODES = {"SWE": ("sv", "swe", "svenska"), "ENG": ("en", "eng", "engelska"), "FIN": ("fi", "fin", "finska"),
                  "DEU": ("de", "ger", "tyska"), "NOR": ("no", "nor", "norska"), "DAN": ("da", "dan", "danska")}
# Per mode of generate.MODES (online, presential, blended): schema.org courseMode, XCRI-CAP attendanceMode, OOAPI modeOfDelivery, template.
MODE_TEXT = [("online", "ON", "online", "distans"), ("onsite", "CM", "on campus", "på plats"), ("blended", "MM", "hybrid", "kombinerad")]
# Per schedule of generate.SCHEDULES (full time, part time intensive, part time light).
SCHEDULE_TEXT = [("full-time", "FT", "full-time", "Heltid"), ("part-time", "PT", "part-time", "Deltid, hög studietakt"),
                 ("part-time", "PT", "part-time", "Deltid, låg studietakt")]
# Per assessment type of generate.ASSESSMENTS: (English label, Swedish label).
ASSESSMENT_TEXT = [("written examination", "skriftlig tentamen"), ("oral examination", "muntlig tentamen"), ("portfolio", "portfolio"),
                   ("project work", "projektarbete"), ("practical assessment", "praktiskt prov")]
NOT_A_FIELD = "Yrkesutbildning"  # what the broken offers give as their field of education outside RDF
QA_AGENCY = "National quality assurance agency"


@dataclass(frozen=True)
class Provider:
    p: int
    name_sv: str
    name_en: str
    homepage: str
    country: str  # EU country code (SWE …)
    number: str
    email: str

    @property
    def data(self) -> str:  # the provider's own IRI space, as in generate.py
        return f"https://data.provider{self.p}.example/"


@dataclass(frozen=True)
class Offer:
    i: int
    provider: Provider
    title_sv: str
    title_en: str
    description_sv: str
    description_en: str
    field: str | None  # ISCED-F code, None for a broken offer
    level: int
    language: str  # EU code (SWE …)
    mode: int  # index into generate.MODES
    schedule: int  # index into generate.SCHEDULES
    ects: str
    price: str
    currency: str
    start: date
    end: date
    deadline: date
    outcomes: tuple[tuple[str, str], ...]  # (sv, en) per outcome
    assessment: int | None  # index into generate.ASSESSMENTS; None: no assessment (incomplete micro-credential)

    @property
    def code(self) -> str:
        return f"P{self.provider.p}-K{self.i}"

    @property
    def homepage(self) -> str:
        return f"https://www.provider{self.provider.p}.example/courses/{self.i}"

    @property
    def broken(self) -> bool:
        return self.field is None

    @property
    def hours(self) -> int:
        return round(float(self.ects) * 27)


def provider(p: int) -> Provider:
    return Provider(p, f"Utbildningsanordnare {p}", f"Education provider {p}", f"https://www.provider{p}.example/",
                    COUNTRIES[p % len(COUNTRIES)], f"55{p:04d}-{(p * 7919) % 10000:04d}", f"kurser@provider{p}.example")


def offers(n: int, seed: int = 42, start: int = 0) -> list[Offer]:
    """The offers of ``generate_offers(n, seed, start=start)`` as plain values (same random draws, same breakage)."""
    rng = random.Random(seed + start)
    result = []
    for i in range(start, start + n):
        p = i // 40
        sv, en = TOPICS[i % len(TOPICS)]
        ects = rng.choice(["1.5", "3", "4.5", "5", "7.5", "10", "15"])
        price = rng.choice(["0", "950", "2500", "4900.50"])
        owner = provider(p)
        first = date(2027, 1 + i % 12, 1 + i % 27)
        result.append(Offer(
            i=i, provider=owner, title_sv=f"{sv} {i}", title_en=f"{en} {i}",
            description_sv=f"Kurs {i} i {sv.lower()} för yrkesverksamma.", description_en=f"Course {i} in {en.lower()} for professionals.",
            field=None if i % 25 == 7 else FIELDS[(i * 7) % len(FIELDS)], level=3 + i % 6, language=LANGUAGES[i % len(LANGUAGES)],
            mode=i % 3, schedule=i % 3, ects=ects, price=price, currency="SEK" if owner.country == "SWE" else "EUR",
            start=first, end=first + timedelta(weeks=8), deadline=first - timedelta(days=21),
            outcomes=((f"Kan tillämpa grunderna i {sv.lower()}.", f"Can apply the basics of {en.lower()}."),
                      (f"Kan analysera {sv.lower()} i praktiken.", f"Can analyse {en.lower()} in practice.")),
            assessment=None if i % 9 == 4 else i % len(ASSESSMENTS),
        ))
    return result


def providers_of(items: list[Offer]) -> list[Provider]:
    return list({o.provider.p: o.provider for o in items}.values())


# -- rdf ----------------------------------------------------------------------------------------------


def rdf_feed(n: int, seed: int = 42) -> bytes:
    return generate_document(n, seed)


# -- elm-xml (LOQ XML) --------------------------------------------------------------------------------


def _x(text: str) -> str:
    return escape(text)


def elm_xml_feed(items: list[Offer]) -> bytes:
    agency = "https://qa.example/agency"
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n'
           '<Courses xmlns="http://data.europa.eu/snb/model/ap/loq-constraints/" xmlns:skos="http://www.w3.org/2004/02/skos/core#"\n'
           '         xmlns:dc="http://purl.org/dc/terms/" xsdVersion="3.1.0">\n  <learningOpportunityReferences>\n']
    for o in items:
        d = o.provider.data
        out.append(f"""    <learningOpportunity id="{d}lo/{o.i}">
      <identifier><skos:notation>{o.code}</skos:notation><schemeName>Kurskod</schemeName></identifier>
      <title language="sv">{_x(o.title_sv)}</title>
      <title language="en">{_x(o.title_en)}</title>
      <description language="sv">{_x(o.description_sv)}</description>
      <description language="en">{_x(o.description_en)}</description>
      <type uri="{SNB}learning-opportunity/05053c1cbe"/>
      <homepage><contentUrl>{o.homepage}</contentUrl></homepage>
      <temporal><startDate>{o.start}T08:00:00Z</startDate><endDate>{o.end}T16:00:00Z</endDate></temporal>
      <mode uri="{SNB}learning-assessment/{MODES[o.mode]}"/>
      <learningSchedule uri="{SNB}learning-schedule/{SCHEDULES[o.schedule]}"/>
      <applicationDeadline>{o.deadline}T23:59:59Z</applicationDeadline>
      <priceDetail><amount><unit uri="{AUTHORITY}currency/{o.currency}"/><value>{o.price}</value></amount></priceDetail>
      <providedBy idref="{d}org"/>
      <learningAchievementSpecification idref="{d}spec/{o.i}"/>
      <defaultLanguage uri="{AUTHORITY}language/{o.language}"/>
    </learningOpportunity>
""")
    out.append("  </learningOpportunityReferences>\n  <learningAchievementSpecificationReferences>\n")
    for o in items:
        d = o.provider.data
        field = f"{SNB}isced-f/{o.field}" if o.field else f"{SNB}eqf/5"
        proven = f'\n      <provenBy idref="{d}assessment/{o.i}"/>' if o.assessment is not None else ""
        out.append(f"""    <learningAchievementSpecification id="{d}spec/{o.i}">
      <title language="sv">{_x(o.title_sv)}</title>
      <title language="en">{_x(o.title_en)}</title>
      <type uri="{SNB}learning-opportunity/05053c1cbe"/>
      <ISCEDFCode uri="{field}"/>
      <creditPoint><framework uri="{SNB}education-credit/6fcec5c5af"/><point>{o.ects}</point></creditPoint>
      <educationLevel uri="{SNB}eqf/{o.level}"/>
      <language uri="{AUTHORITY}language/{o.language}"/>
      <learningOutcome idref="{d}outcome/{o.i}-1"/>
      <learningOutcome idref="{d}outcome/{o.i}-2"/>{proven}
      <awardingOpportunity><awardingBody idref="{d}org"/><learningAchievementSpecification idref="{d}spec/{o.i}"/></awardingOpportunity>
    </learningAchievementSpecification>
""")
    out.append("  </learningAchievementSpecificationReferences>\n  <learningOutcomeReferences>\n")
    for o in items:
        for number, (sv, en) in enumerate(o.outcomes, start=1):
            out.append(f'    <learningOutcome id="{o.provider.data}outcome/{o.i}-{number}"><title language="sv">{_x(sv)}</title>'
                       f'<title language="en">{_x(en)}</title></learningOutcome>\n')
    out.append("  </learningOutcomeReferences>\n  <learningAssessmentSpecificationReferences>\n")
    for o in items:
        if o.assessment is not None:
            out.append(f'    <learningAssessmentSpecification id="{o.provider.data}assessment/{o.i}"><title language="en">Examination {o.i}</title>'
                       f'<type uri="{SNB}assessment/{ASSESSMENTS[o.assessment]}"/></learningAssessmentSpecification>\n')
    out.append("  </learningAssessmentSpecificationReferences>\n  <agentReferences>\n")
    for p in providers_of(items):
        out.append(f"""    <organisation id="{p.data}org">
      <legalName language="sv">{_x(p.name_sv)}</legalName>
      <legalName language="en">{_x(p.name_en)}</legalName>
      <homepage><contentUrl>{p.homepage}</contentUrl></homepage>
      <accreditation idref="{p.data}qa"/>
      <location idref="{p.data}location"/>
    </organisation>
""")
    out.append(f'    <organisation id="{agency}"><legalName language="en">{QA_AGENCY}</legalName><location idref="{agency}/location"/></organisation>\n'
               "  </agentReferences>\n  <accreditationReferences>\n")
    for p in providers_of(items):
        out.append(f'    <accreditation id="{p.data}qa"><type uri="{SNB}accreditation/bb4618238e"/>'
                   f'<title language="en">Institutional review {2020 + p.p % 6}</title><organisation idref="{p.data}org"/>'
                   f'<accreditingAgent idref="{agency}"/></accreditation>\n')
    out.append("  </accreditationReferences>\n  <locationReferences>\n")
    for p in providers_of(items):
        out.append(f'    <location id="{p.data}location"><address><countryCode uri="{AUTHORITY}country/{p.country}"/></address></location>\n')
    out.append(f'    <location id="{agency}/location"><address><countryCode uri="{AUTHORITY}country/SWE"/></address></location>\n'
               "  </locationReferences>\n</Courses>\n")
    return "".join(out).encode("utf-8")


# -- schema.org pages and their sitemap -----------------------------------------------------------------


def schemaorg_page(o: Offer) -> bytes:
    p = o.provider
    mode, schedule = MODE_TEXT[o.mode][0], SCHEDULE_TEXT[o.schedule][0]
    course = {
        "@context": "https://schema.org",
        "@type": "Course",
        "@id": o.homepage + "#course",
        "url": o.homepage,
        "courseCode": o.code,
        "name": [{"@value": o.title_sv, "@language": "sv"}, {"@value": o.title_en, "@language": "en"}],
        "description": [{"@value": o.description_sv, "@language": "sv"}, {"@value": o.description_en, "@language": "en"}],
        "provider": {
            "@type": "EducationalOrganization", "@id": p.homepage + "#org",
            "name": [{"@value": p.name_sv, "@language": "sv"}, {"@value": p.name_en, "@language": "en"}],
            "url": p.homepage, "email": p.email,
            "address": {"@type": "PostalAddress", "addressCountry": COUNTRY_NAMES[p.country][0]},
        },
        "inLanguage": LANGUAGE_CODES[o.language][0],
        "educationalLevel": f"EQF {o.level}",
        "about": f"ISCED-F {o.field}" if o.field else NOT_A_FIELD,
        "teaches": [{"@type": "DefinedTerm", "name": [{"@value": sv, "@language": "sv"}, {"@value": en, "@language": "en"}]}
                    for sv, en in o.outcomes],
        "numberOfCredits": {"@type": "StructuredValue", "value": o.ects, "unitText": "ECTS"},
        "educationalCredentialAwarded": {"@type": "EducationalOccupationalCredential", "name": "Kursintyg",
                                         "recognizedBy": {"@type": "Organization", "name": QA_AGENCY}},
        "offers": {"@type": "Offer", "price": o.price, "priceCurrency": o.currency, "validThrough": str(o.deadline)},
        "hasCourseInstance": {"@type": "CourseInstance", "courseMode": [mode, schedule],
                              "startDate": str(o.start), "endDate": str(o.end), "courseWorkload": f"PT{o.hours}H"},
    }
    body = json.dumps(course, ensure_ascii=False, indent=1)
    return f"""<!DOCTYPE html>
<html lang="sv">
<head>
  <meta charset="utf-8">
  <title>{_x(o.title_sv)} – {_x(p.name_sv)}</title>
  <script type="application/ld+json">
{body}
  </script>
</head>
<body>
  <h1>{_x(o.title_sv)}</h1>
  <p>{_x(o.description_sv)}</p>
</body>
</html>
""".encode("utf-8")


def sitemap(base_url: str, items: list[Offer]) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    lines += [f"  <url><loc>{base_url}kurser/{o.i}.html</loc><lastmod>2026-10-01</lastmod></url>" for o in items]
    lines.append("</urlset>\n")
    return "\n".join(lines).encode("utf-8")


# -- XCRI-CAP 1.2 ---------------------------------------------------------------------------------------


def xcri_feed(items: list[Offer]) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n'
           '<catalog xmlns="http://xcri.org/profiles/1.2/catalog" xmlns:xcriTerms="http://xcri.org/profiles/1.2/catalog/terms"\n'
           '         xmlns:mlo="http://purl.org/net/mlo" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"\n'
           '         xmlns:credit="http://purl.org/net/cm" xmlns:xhtml="http://www.w3.org/1999/xhtml"\n'
           '         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:bench="https://bench.example/ns/xcri"\n'
           '         generated="2026-10-01T03:00:00Z" xml:lang="en">\n']
    by_provider: dict[int, list[Offer]] = {}
    for o in items:
        by_provider.setdefault(o.provider.p, []).append(o)
    for courses in by_provider.values():
        p = courses[0].provider
        out.append(f"""  <provider>
    <dc:identifier>{p.homepage}</dc:identifier>
    <dc:title xml:lang="sv">{_x(p.name_sv)}</dc:title>
    <dc:title xml:lang="en">{_x(p.name_en)}</dc:title>
    <mlo:url>{p.homepage}</mlo:url>
""")
        for o in courses:
            subject = (f'<dc:subject xsi:type="bench:ISCED-F-2013" identifier="{o.field}">ISCED-F {o.field}</dc:subject>' if o.field
                       else f"<dc:subject>{NOT_A_FIELD}</dc:subject>")
            outcomes_sv = "".join(f"<xhtml:li>{_x(sv)}</xhtml:li>" for sv, _ in o.outcomes)
            outcomes_en = "".join(f"<xhtml:li>{_x(en)}</xhtml:li>" for _, en in o.outcomes)
            assessment = ("" if o.assessment is None else
                          f'\n      <dc:description xsi:type="xcriTerms:assessmentStrategy" xml:lang="en">Assessed by {ASSESSMENT_TEXT[o.assessment][0]} at the end of the course.</dc:description>')
            _, study, _, _ = SCHEDULE_TEXT[o.schedule]
            attendance = MODE_TEXT[o.mode][1]
            out.append(f"""    <course>
      <dc:identifier>{o.homepage}</dc:identifier>
      <dc:title xml:lang="sv">{_x(o.title_sv)}</dc:title>
      <dc:title xml:lang="en">{_x(o.title_en)}</dc:title>
      {subject}
      <dc:type>Course</dc:type>
      <mlo:url>{o.homepage}</mlo:url>
      <dc:description xml:lang="sv">{_x(o.description_sv)}</dc:description>
      <dc:description xml:lang="en">{_x(o.description_en)}</dc:description>
      <dc:description xsi:type="xcriTerms:learningOutcome" xml:lang="sv"><xhtml:ul>{outcomes_sv}</xhtml:ul></dc:description>
      <dc:description xsi:type="xcriTerms:learningOutcome" xml:lang="en"><xhtml:ul>{outcomes_en}</xhtml:ul></dc:description>{assessment}
      <mlo:qualification>
        <dc:title>Course certificate</dc:title>
        <dcterms:educationLevel>EQF level {o.level}</dcterms:educationLevel>
        <awardedBy>{_x(p.name_en)}</awardedBy>
        <accreditedBy>{QA_AGENCY}</accreditedBy>
      </mlo:qualification>
      <mlo:credit><credit:scheme>ECTS</credit:scheme><credit:value>{o.ects}</credit:value></mlo:credit>
      <presentation>
        <dc:identifier>{o.homepage}/{o.start.year}-{o.start.month:02d}</dc:identifier>
        <mlo:start dtf="{o.start}">{o.start:%d %B %Y}</mlo:start>
        <end dtf="{o.end}">{o.end:%d %B %Y}</end>
        <applyUntil dtf="{o.deadline}">{o.deadline:%d %B %Y}</applyUntil>
        <studyMode identifier="{study}"/>
        <attendanceMode identifier="{attendance}"/>
        <mlo:languageOfInstruction>{LANGUAGE_CODES[o.language][0]}</mlo:languageOfInstruction>
        <mlo:cost>{o.price} {o.currency}</mlo:cost>
      </presentation>
    </course>
""")
        out.append(f"""    <mlo:location>
      <mlo:town>Ort {p.p}</mlo:town>
      <mlo:address>{COUNTRY_NAMES[p.country][1]}</mlo:address>
      <mlo:email>{p.email}</mlo:email>
    </mlo:location>
  </provider>
""")
    out.append("</catalog>\n")
    return "".join(out).encode("utf-8")


# -- OOAPI v5 -----------------------------------------------------------------------------------------


def _lts(sv: str, en: str) -> list[dict]:
    return [{"language": "sv-SE", "value": sv}, {"language": "en-GB", "value": en}]


def _page(items: list, number: int, size: int, more: bool) -> bytes:
    body = {"pageSize": size, "pageNumber": number, "hasPreviousPage": number > 1, "hasNextPage": more, "items": items}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _paged(name: str, items: list, size: int) -> dict[str, bytes]:
    chunks = [items[i:i + size] for i in range(0, len(items), size)] or [[]]
    return {(f"{name}.json" if number == 1 else f"{name}.page-{number}.json"): _page(chunk, number, size, number < len(chunks))
            for number, chunk in enumerate(chunks, start=1)}


def ooapi_files(items: list[Offer], page_size: int = 250) -> dict[str, bytes]:
    """Files of an OOAPI v5 API (the static-copy layout) under ``v5/``: one course per offer, with one offering."""
    organizations = [{
        "organizationId": f"org-{p.p}", "organizationType": "institution",
        "primaryCode": {"codeType": "orgNumber", "code": p.number},
        "name": _lts(p.name_sv, p.name_en), "shortName": f"P{p.p}",
        "addresses": [{"addressType": "visit", "city": f"Ort {p.p}", "countryCode": COUNTRY_NAMES[p.country][0]}],
        "link": p.homepage,
    } for p in providers_of(items)]
    courses, files = [], {}
    for o in items:
        courses.append({
            "courseId": f"course-{o.i}",
            "primaryCode": {"codeType": "courseCode", "code": o.code},
            "name": _lts(o.title_sv, o.title_en),
            "description": _lts(o.description_sv, o.description_en),
            "teachingLanguage": LANGUAGE_CODES[o.language][1],
            "levelOfQualification": str(o.level),
            "modeOfDelivery": [MODE_TEXT[o.mode][2]],
            "modeOfStudy": SCHEDULE_TEXT[o.schedule][2],
            "learningOutcomes": [_lts(sv, en) for sv, en in o.outcomes],
            **({"assessment": _lts(*reversed(ASSESSMENT_TEXT[o.assessment]))} if o.assessment is not None else {}),
            "link": o.homepage,
            "organization": f"org-{o.provider.p}",
            "studyLoad": {"studyLoadUnit": "ects", "value": float(o.ects)},
            "fieldsOfStudy": o.field or NOT_A_FIELD,
        })
        offering = {
            "offeringId": f"offering-{o.i}", "offeringType": "course",
            "primaryCode": {"codeType": "offeringCode", "code": f"{o.code}-{o.start.year}"},
            "startDate": str(o.start), "endDate": str(o.end), "enrollEndDate": str(o.deadline),
            "resultExpected": True, "resultValueType": "pass-or-fail",
            "priceInformation": [{"costType": "total costs", "amount": o.price, "currency": o.currency}],
            "link": o.homepage,
        }
        files[f"v5/courses/course-{o.i}/offerings.json"] = _page([offering], 1, page_size, False)
    for name, body in _paged("organizations", organizations, page_size).items():
        files[f"v5/{name}"] = body
    for name, body in _paged("courses", courses, page_size).items():
        files[f"v5/{name}"] = body
    files["v5/programs.json"] = _page([], 1, page_size, False)
    return files


# -- spreadsheet (the provider template as CSV) ----------------------------------------------------------


def spreadsheet_csv(items: list[Offer]) -> bytes:
    columns = template_columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([header for header, _, _, _ in columns])
    for o in items:
        p = o.provider
        values = {
            "offer_id": o.code, "title_sv": o.title_sv, "title_en": o.title_en,
            "description_sv": o.description_sv, "description_en": o.description_en, "homepage": o.homepage,
            "provider_name": p.name_sv, "provider_country": COUNTRY_NAMES[p.country][1], "provider_id": p.number,
            "awarding_body": "samma som anordnaren", "field": o.field or NOT_A_FIELD, "eqf_level": f"Nivå {o.level}",
            "languages": LANGUAGE_CODES[o.language][2], "credits": o.ects.replace(".", ","), "hours": str(o.hours),
            "mode": MODE_TEXT[o.mode][3], "schedule": SCHEDULE_TEXT[o.schedule][3],
            "start": str(o.start), "end": str(o.end), "deadline": str(o.deadline),
            "price": o.price.replace(".", ","), "currency": o.currency,
            "outcomes_sv": "\n".join(sv for sv, _ in o.outcomes), "outcomes_en": "\n".join(en for _, en in o.outcomes),
            "assessment": ASSESSMENT_TEXT[o.assessment][1] if o.assessment is not None else "",
            "grading_sv": "Godkänd eller ej godkänd", "grading_en": "Pass or fail",
            "quality_sv": f"Institutionell granskning av {QA_AGENCY.lower()}.", "quality_en": f"Institutional review by the {QA_AGENCY.lower()}.",
            "email": p.email,
        }
        writer.writerow([values.get(key, "") for _, key, _, _ in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# -- all six, on disk --------------------------------------------------------------------------------------

KINDS = ("rdf", "elm-xml", "schemaorg", "xcri-cap", "ooapi", "spreadsheet")
# The document each kind's harvester reads first (the source url; for OOAPI the first request it makes).
ENTRY = {"rdf": "rdf/offers.ttl", "elm-xml": "elm-xml/loq.xml", "schemaorg": "schemaorg/sitemap.xml", "xcri-cap": "xcri-cap/xcri.xml",
         "ooapi": "ooapi/v5/organizations?pageNumber=1&pageSize=250", "spreadsheet": "spreadsheet/offers.csv"}


def write_feed(kind: str, folder: Path, n: int, base_url: str, items: list[Offer] | None = None, seed: int = 42) -> int:
    """Write ``kind``'s feed of ``n`` offers under ``folder/kind``; ``base_url`` is where ``folder`` is served. Returns bytes written."""
    items = items if items is not None else offers(n, seed)
    files: dict[str, bytes]
    if kind == "rdf":
        files = {"offers.ttl": rdf_feed(n, seed)}
    elif kind == "elm-xml":
        files = {"loq.xml": elm_xml_feed(items)}
    elif kind == "schemaorg":
        files = {f"kurser/{o.i}.html": schemaorg_page(o) for o in items}
        files["sitemap.xml"] = sitemap(f"{base_url}schemaorg/", items)
        files["robots.txt"] = b"User-agent: *\nAllow: /\n"
    elif kind == "xcri-cap":
        files = {"xcri.xml": xcri_feed(items)}
    elif kind == "ooapi":
        files = ooapi_files(items)
    elif kind == "spreadsheet":
        files = {"offers.csv": spreadsheet_csv(items)}
    else:
        raise ValueError(kind)
    total = 0
    for name, body in files.items():
        path = folder / kind / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        total += len(body)
    return total


# -- the server --------------------------------------------------------------------------------------------

CONTENT_TYPES = {".ttl": "text/turtle; charset=utf-8", ".xml": "application/xml; charset=utf-8", ".html": "text/html; charset=utf-8",
                 ".json": "application/json", ".csv": "text/csv; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


class FeedServer:
    """Serves ``folder`` on 127.0.0.1 (robots.txt of a kind's folder also at the root); counts requests per first path segment."""

    def __init__(self, folder: Path):
        self.folder = folder.resolve()
        self.requests: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._etags: dict[tuple[str, int, int], str] = {}
        self._server: http.server.ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.not_modified.clear()

    def resolve(self, target: str) -> Path | None:
        parts = urlsplit(target)
        path = unquote(parts.path).lstrip("/")
        if path == "robots.txt":
            path = "schemaorg/robots.txt"
        page = parse_qs(parts.query).get("pageNumber", ["1"])[0]
        candidate = (self.folder / path).resolve()
        if self.folder not in candidate.parents:
            return None
        if page.isdigit() and int(page) > 1:
            candidate = candidate.with_name(f"{candidate.name}.page-{int(page)}")
        for option in (candidate, candidate.with_name(candidate.name + ".json")):
            if option.is_file():
                return option
        return None

    def etag(self, path: Path, stat: os.stat_result) -> str:
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if key not in self._etags:
            self._etags[key] = '"' + hashlib.sha256(path.read_bytes()).hexdigest()[:20] + '"'
        return self._etags[key]

    def __enter__(self) -> FeedServer:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, a keep-alive client waits for the
            # delayed ACK (~40 ms) before the body arrives. Real servers set TCP_NODELAY; so does this one.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                prefix = unquote(urlsplit(self.path).path).lstrip("/").split("/", 1)[0]
                prefix = "schemaorg" if prefix == "robots.txt" else prefix
                with server._lock:
                    server.requests[prefix] += 1
                path = server.resolve(self.path)
                if path is None:
                    self._send(404, b"not found\n", "text/plain; charset=utf-8", {})
                    return
                stat = path.stat()
                etag = server.etag(path, stat)
                modified = formatdate(int(stat.st_mtime), usegmt=True)
                headers = {"ETag": etag, "Last-Modified": modified, "Cache-Control": "no-cache"}
                if self._fresh(etag, int(stat.st_mtime)):
                    with server._lock:
                        server.not_modified[prefix] += 1
                    self.send_response(304)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._send(200, path.read_bytes(), CONTENT_TYPES.get(path.suffix, "application/octet-stream"), headers)

            def _fresh(self, etag: str, mtime: int) -> bool:
                match = self.headers.get("If-None-Match")
                if match is not None:
                    return etag in [m.strip() for m in match.split(",")] or match.strip() == "*"
                since = self.headers.get("If-Modified-Since")
                if since:
                    try:
                        return mtime <= parsedate_to_datetime(since).timestamp()
                    except (TypeError, ValueError):
                        return False
                return False

            def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="feed-server", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    target = Path(sys.argv[2] if len(sys.argv) > 2 else "feeds")
    shared = offers(count)
    for kind in KINDS:
        size = write_feed(kind, target, count, "http://127.0.0.1:8080/", shared)
        print(f"{kind:12} {size / 2**20:8.1f} MiB under {target / kind}")
