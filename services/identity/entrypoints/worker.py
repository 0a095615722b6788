"""Identity's background work: making sure a signing key exists, so tokens can be issued.

A new deployment has no key: this worker creates the first one as the service starts (and
checks again now and then), committing in its own unit of work. Readers of the key store
(the JWKS, token issuing, verification) never write.
"""

from __future__ import annotations

import logging

from services.chassis.periodic import PeriodicWorker
from services.chassis.runtime import ServiceRuntime
from services.identity.adapters.signing_keys import signing_keys_of

log = logging.getLogger(__name__)

#: How often a running identity checks that a key may sign (the first check is at start).
KEY_CHECK_SECONDS = 60


class FirstSigningKey:
    """`tick()` creates a signing key when none may sign; tests call it directly."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.keys = signing_keys_of(runtime)

    async def tick(self) -> str | None:
        async with self.runtime.unit_of_work() as uow:
            kid = await self.keys.create_first_key(uow.session)
            await uow.commit()
        if kid is not None:
            self.keys.forget()
            log.info("created signing key %s", kid)
        return kid


def signing_key_worker(runtime: ServiceRuntime) -> PeriodicWorker:
    """A `ServiceDefinition.workers` entry."""
    return PeriodicWorker("signing key check", FirstSigningKey(runtime).tick, KEY_CHECK_SECONDS)
