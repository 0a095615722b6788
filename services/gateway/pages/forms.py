"""Reading a posted form the way pages need it."""

from __future__ import annotations

from fastapi import Request


async def form_values(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The posted form: the last value of each name, and every value of repeated names
    (checkboxes). Uploaded files are left out."""
    form = await request.form()
    single = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    multiple = {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}
    return single, multiple
