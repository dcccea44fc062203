"""The jinja2 environment for pages the server renders (query page, resource pages, validation reports).

Autoescaping is on for every template: provider data is hostile until proven otherwise.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .levels import level_label
from .resources import data_dir


def new_environment(extensions: tuple[str, ...] = ()) -> Environment:
    """An environment over site/templates with the safety settings every page needs (the site builder adds i18n)."""
    env = Environment(
        loader=FileSystemLoader(str(data_dir("site") / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=list(extensions),
        # Templates are part of a release: looking for changed files before every page cost 1.4% of a site build.
        auto_reload=False,
    )
    # Provider data may hold javascript: or data: URLs; only http(s) addresses become links.
    env.tests["http"] = is_http
    env.globals["level_label"] = level_label
    return env


@lru_cache(maxsize=1)
def environment() -> Environment:
    return new_environment()


def is_http(value) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def render(name: str, **context) -> str:
    return environment().get_template(name).render(**context)
