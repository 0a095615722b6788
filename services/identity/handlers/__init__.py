"""Identity's command handlers, one module per sub-domain. Each is
`async def <verb>_<noun>(command, uow, *, <dependencies>)`: it changes state, audits and
publishes in the unit of work; the route that called it commits."""
