"""Harvesters: one module per source format, each turning a provider's publications into ELM.

Harvesters are found through the entry-point group ``mc_catalogue.harvesters``
(name = the ``harvester`` kind in catalogue.toml). The built-in ones are
registered there by this project's pyproject.toml, the same way a third party
registers its own:

    [project.entry-points."mc_catalogue.harvesters"]
    my-format = "my_package.my_module:MyHarvester"
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points

from catalogue.errors import ConfigError

GROUP = "mc_catalogue.harvesters"

# Used only when the package metadata is not installed (running from a bare checkout).
_BUILT_IN = {
    "rdf": "harvesters.rdf:RdfHarvester",
    "elm-xml": "harvesters.elm_xml:ElmXmlHarvester",
    "schemaorg": "harvesters.schemaorg:SchemaOrgHarvester",
    "xcri-cap": "harvesters.xcri_cap:XcriCapHarvester",
    "ooapi": "harvesters.ooapi:OoapiHarvester",
    "spreadsheet": "harvesters.spreadsheet:SpreadsheetHarvester",
}


def available() -> dict[str, str]:
    """Harvester kinds and the object each names."""
    found = {ep.name: ep.value for ep in entry_points(group=GROUP)}
    return found or dict(_BUILT_IN)


def load_harvester(kind: str):
    kinds = available()
    target = kinds.get(kind)
    if target is None:
        raise ConfigError(f"No harvester of kind '{kind}'. Known kinds: {', '.join(sorted(kinds))}.")
    module_name, _, attribute = target.partition(":")
    try:
        return getattr(import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ConfigError(f"The harvester '{kind}' ({target}) cannot be loaded: {error}") from None
