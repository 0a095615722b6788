"""The web pages, one module (or package, for a large area) per area, with templates in
`templates/<area>/`.

To add a page: put it in the module of its page group (`pages/<area>.py`, or
`pages/<area>/<group>.py` once an area passes a few hundred lines) on that module's
`APIRouter`. A page takes `Session`, `SignedIn` or `ProgrammeAdmin`
(`services.gateway.web.session_cookies`), calls its service with `call_service(...)`
(`services.gateway.upstream.page_calls`) and answers with `render(...)` or `redirect(...)`
(`services.gateway.web.templates`). A new area's router is listed here; a new page group's in
its package's `__init__`.
"""

from fastapi import APIRouter

from services.gateway.pages import (
    admin,
    content,
    departments,
    directory,
    feedback,
    home,
    info,
    session,
)

ROUTERS: list[APIRouter] = [
    home.router,
    session.router,
    admin.router,
    info.router,
    departments.router,
    directory.router,
    feedback.router,
    content.router,
]
