"""Subscriptions' HTTP routes: the pull feed (feed.py) and webhook endpoints (endpoints.py)."""

from services.subscriptions.entrypoints.api.endpoints import endpoints
from services.subscriptions.entrypoints.api.feed import feed

ROUTERS = [feed, endpoints]
