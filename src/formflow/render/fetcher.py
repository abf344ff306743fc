"""The only way WeasyPrint reads anything: files of our own templates/fonts/images folders.

Record values are printed as text, so a value such as ``<img src="file:///etc/passwd">`` never
becomes a request; this fetcher is the second wall. It serves ``file:`` URLs whose real path
(symbolic links resolved) lies inside the package's ``templates/``, ``fonts/`` or ``images/``
folder, or inside the workspace's ``templates/`` folder when one is given, and refuses
everything else: other files, ``http(s):``, ``ftp:``, ``data:``. A file asked for in the
package's ``templates/`` is served from the workspace's ``templates/`` when a file of the
same name is there (the workspace overrides our stylesheet and templates by name).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

PACKAGE = Path(__file__).resolve().parent
TEMPLATES = PACKAGE / "templates"
FONTS = PACKAGE / "fonts"
IMAGES = PACKAGE / "images"
_TYPES = {".css": "text/css; charset=utf-8", ".otf": "font/otf", ".ttf": "font/ttf", ".woff2": "font/woff2", ".svg": "image/svg+xml",
          ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".html": "text/html; charset=utf-8"}


class RefusedURL(ValueError):
    """A URL outside the folders the renderer may read."""


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


class SafeFetcher(URLFetcher):
    """A WeasyPrint URL fetcher limited to our own folders (see the module docstring)."""

    def __init__(self, overrides: Path | None = None):
        super().__init__(allowed_protocols={"file"}, allow_redirects=False)
        self.overrides = overrides.resolve() if overrides is not None else None
        self.roots = [TEMPLATES, FONTS, IMAGES] + ([self.overrides] if self.overrides is not None else [])

    def resolve(self, url: str) -> Path:
        """The file ``url`` stands for, or :class:`RefusedURL`."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"refused (not one of our files): {url[:200]}")
        path = Path(unquote(parts.path)).resolve()
        if self.overrides is not None and _inside(path, TEMPLATES):
            override = (self.overrides / path.relative_to(TEMPLATES)).resolve()
            if _inside(override, self.overrides) and override.is_file():
                return override
        if not any(_inside(path, root) for root in self.roots) or not path.is_file():
            raise RefusedURL(f"refused (outside the renderer's folders): {url[:200]}")
        return path

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        path = self.resolve(url)
        kind = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": kind})
