"""The webhook dispatcher as a chassis worker (see services/subscriptions/dispatcher.py)."""

from __future__ import annotations

from services.chassis.runtime import ServiceRuntime
from services.subscriptions.config import SubscriptionsSettings
from services.subscriptions.dispatcher import Dispatcher


def webhook_dispatcher(runtime: ServiceRuntime) -> Dispatcher:
    settings = runtime.settings
    assert isinstance(settings, SubscriptionsSettings)
    return Dispatcher(runtime.engine, runtime.sessions, settings)
