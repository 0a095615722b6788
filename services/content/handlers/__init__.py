"""Content's command handlers, one module per sub-domain. Each is
`async def <verb>_<noun>(command, uow, *, <dependencies>)`: it changes state, audits and
publishes events in the caller's unit of work; the caller (a route, consumer or worker) commits.
"""
