"""What every web page shares, one module per thing it does.

- `session_cookies`: the person behind a request, read from (and written back to) their cookies:
  `Session`, `SignedIn`, `ProgrammeAdmin`, and the refusals `SignInRequired` / `NotAllowed`;
- `session_refresh`: one refresh at identity for requests arriving together with an expired
  access token;
- `csrf`: the signed double-submit tokens every form carries;
- `templates`: GOV.UK Frontend templates, `render(...)` and `redirect(...)`;
- `error_pages`: errors on pages as pages (the API keeps problem+json).

Calls to the services are the upstream hop's (`services.gateway.upstream.page_calls`).
"""
