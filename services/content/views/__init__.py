"""Content's read side, one module per sub-domain: queries for the API and the digest builder.
Nothing here changes state; audience is enforced through `readers.permitted`."""
