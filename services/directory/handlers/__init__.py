"""Directory's command handlers: `<verb>_<noun>(command, uow, *, dependencies)`. They change
state and publish events; the route, consumer or worker that called them commits.

Handlers fed by events (`members`: drafts, cohorts, deactivation, erasure) are idempotent: the
chassis inbox already dedupes deliveries, and applying one twice changes nothing anyway.
`authority` and `profile_changes` are what the others share: who may act on a profile, and
what follows every change to one.
"""
