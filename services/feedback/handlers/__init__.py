"""Feedback's command handlers, one module per sub-domain. They change state and publish
events; the caller (a route, consumer or the campaign clock) commits.

Every handler is `async def <verb>_<noun>(command, uow, *, <dependencies>)`: the command from
`domain.commands`, the unit of work, then keyword-only what the boundary wires in
(`pseudonyms=`, a setting's value).
"""
