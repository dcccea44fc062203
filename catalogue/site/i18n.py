"""Languages of the guidance site: interface strings through gettext, values formatted the way readers expect.

Interface strings are English in the templates and translated through
message catalogues in ``site/locale/<lang>/LC_MESSAGES/messages.po`` (Babel
reads them directly, no compile step). Concept labels come from ``vocab/``,
not from here. Dates, numbers and money are formatted with Babel's CLDR data
(``30 augusti 2027``, ``7,5``, ``1 500 kr``).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from io import BytesIO

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import Translations

from catalogue.resources import data_dir

LANGUAGES = ("sv", "en")
LOCALES = {"sv": "sv_SE", "en": "en_GB"}


@lru_cache(maxsize=None)
def translations(lang: str) -> Translations:
    """gettext translations for ``lang`` (English needs none: the templates are written in English)."""
    catalogue_path = data_dir("site") / "locale" / lang / "LC_MESSAGES" / "messages.po"
    if lang == "en" or not catalogue_path.exists():
        return Translations()
    with catalogue_path.open("rb") as handle:
        catalog = read_po(handle, locale=LOCALES[lang])
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled)


def language_name(code: str, in_lang: str) -> str:
    try:
        return Locale.parse(code).get_display_name(LOCALES[in_lang]) or code
    except (ValueError, TypeError):
        return code


@lru_cache(maxsize=65536)
def day(value: str | date | datetime | None, lang: str) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return format_date(value, format="long", locale=LOCALES[lang])


def month(year_month: str, lang: str) -> str:
    """"augusti 2027" from "2027-08"."""
    year, number_ = (int(x) for x in year_month.split("-")[:2])
    return format_date(date(year, number_, 1), format="LLLL yyyy", locale=LOCALES[lang])


@lru_cache(maxsize=65536)
def number(value: float | None, lang: str) -> str:
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.##", locale=LOCALES[lang])


def money(amount: float | None, currency: str | None, lang: str) -> str:
    """In the locale's own pattern ("£170" in English, "1 500 kr" in Swedish), without decimals for whole amounts."""
    if amount is None:
        return ""
    if not currency:
        return number(amount, lang)
    pattern = Locale.parse(LOCALES[lang]).currency_formats["standard"].pattern
    if amount == int(amount):
        pattern = pattern.replace(".00", "")
    return format_currency(amount, currency, locale=LOCALES[lang], format=pattern, currency_digits=False)