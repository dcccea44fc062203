"""The jinja environment of the site's pages, and the context every page shares."""

from __future__ import annotations

import json

from jinja2 import Environment

from catalogue.config import Config
from catalogue.templates import new_environment

from . import i18n


def environment(lang: str) -> Environment:
    env = new_environment(("jinja2.ext.i18n",))
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["json_script"] = json_for_script
    env.filters["language_name"] = lambda code: i18n.language_name(code, lang)
    return env


def json_for_script(value) -> str:
    """JSON safe inside <script>: no "</script>", no "<!--", no line separators that break JavaScript."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    from markupsafe import Markup

    return Markup(text)


def common_context(config: Config, lang: str, path: str, other_path: str) -> dict:
    other = "en" if lang == "sv" else "sv"
    return {
        "lang": lang,
        "other_lang": other,
        "site_title": config.title,
        "path": path,
        "alternates": {lang: path, other: other_path},
        "base": config.base,
        "operator": {
            "name": config.publisher,
            "contact": config.contact,
            "contact_link": ("mailto:" + config.contact) if "@" in config.contact and not config.contact.startswith(("http", "mailto:"))
            else (config.contact if config.contact.startswith(("http://", "https://", "mailto:")) else ""),
            "assessed": i18n.day(config.accessibility_assessed, lang) if config.accessibility_assessed else "",
        },
        "nav": {
            "home": f"/{lang}/",
            "search": f"/{lang}/search.html",
            "browse": f"/{lang}/browse/",
            "providers": f"/{lang}/providers.html",
            "compare": f"/{lang}/compare.html",
            "about": f"/{lang}/about.html",
            "for_providers": f"/{lang}/for-providers.html",
            "accessibility": f"/{lang}/accessibility.html",
        },
    }
