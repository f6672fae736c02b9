"""The web arena: pages, the JSON API and live streams (``arena serve``)."""

from modelarena.web.app import create_app

__all__ = ["create_app"]
