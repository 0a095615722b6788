"""The API gateway: the only door for end users. Routes /api/<service>/..., verifies tokens."""
