"""The jinja2 environment for pages the server renders (query page, resource pages, validation reports).

Autoescaping is on for every template: provider data is hostile until proven otherwise.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .resources import data_dir


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(data_dir("site") / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Provider data may hold javascript: or data: URLs; only http(s) addresses become links.
    env.tests["http"] = is_http
    return env


def is_http(value) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def render(name: str, **context) -> str:
    return environment().get_template(name).render(**context)
