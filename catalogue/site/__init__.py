"""Site: the static guidance site in Swedish and English, built from a published generation with jinja2.

``build_site`` renders only the pages whose offers, templates or code changed since the last build.
"""

from .builder import BuildReport, build_site

__all__ = ["BuildReport", "build_site"]
