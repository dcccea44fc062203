"""The registry of harvester kinds: the only way the catalogue reaches a harvester.

Harvesters are found through the entry-point group ``mc_catalogue.harvesters``
(name = the ``harvester`` kind in catalogue.toml). The built-in ones are
registered there by this project's pyproject.toml, the same way a third party
registers its own:

    [project.entry-points."mc_catalogue.harvesters"]
    my-format = "my_package.my_module:MyHarvester"

A kind that gives providers a template to fill in (the spreadsheet) registers a
function ``write(folder) -> list[Path]`` under ``mc_catalogue.templates``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path

from catalogue.errors import ConfigError

GROUP = "mc_catalogue.harvesters"
TEMPLATE_GROUP = "mc_catalogue.templates"

# Used only when the package metadata is not installed (running from a bare checkout).
_BUILT_IN = {
    "rdf": "harvesters.rdf:RdfHarvester",
    "elm-xml": "harvesters.elm_xml:ElmXmlHarvester",
    "schemaorg": "harvesters.schemaorg:SchemaOrgHarvester",
    "xcri-cap": "harvesters.xcri_cap:XcriCapHarvester",
    "ooapi": "harvesters.ooapi:OoapiHarvester",
    "spreadsheet": "harvesters.spreadsheet:SpreadsheetHarvester",
    "europass-dump": "harvesters.europass_dump:EuropassDumpHarvester",
    "emil3": "harvesters.emil3:Emil3Harvester",
    "ldes": "harvesters.ldes:LdesHarvester",
}


_BUILT_IN_TEMPLATES = {"spreadsheet": "harvesters.spreadsheet_template:write_template"}


def available() -> dict[str, str]:
    """Harvester kinds and the object each names."""
    return _registered(GROUP, _BUILT_IN)


def templates() -> dict[str, str]:
    """Harvester kinds that offer providers a template, and the function that writes it."""
    return _registered(TEMPLATE_GROUP, _BUILT_IN_TEMPLATES)


def _registered(group: str, built_in: dict[str, str]) -> dict[str, str]:
    found = {ep.name: ep.value for ep in entry_points(group=group)}
    return found or dict(built_in)


def template_writer(kind: str) -> Callable[[Path], list[Path]]:
    """The function that writes the provider's template of harvester ``kind`` into a folder."""
    target = templates().get(kind)
    if target is None:
        raise ConfigError(f"The harvester kind '{kind}' has no template for providers. Kinds with one: {', '.join(sorted(templates()))}.")
    return _load(kind, target)


def load_harvester(kind: str):
    kinds = available()
    target = kinds.get(kind)
    if target is None:
        raise ConfigError(f"No harvester of kind '{kind}'. Known kinds: {', '.join(sorted(kinds))}.")
    return _load(kind, target)


def _load(kind: str, target: str):
    module_name, _, attribute = target.partition(":")
    try:
        return getattr(import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ConfigError(f"The harvester '{kind}' ({target}) cannot be loaded: {error}") from None
