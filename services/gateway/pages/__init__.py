"""The web pages, one module per area with templates in `templates/<area>/`.

To add an area (directory, feedback, content): write `pages/<area>.py` with an `APIRouter`
whose pages take `Session`, `SignedIn` or `ProgrammeAdmin` from `services.gateway.web`, call
their service with `call_service(...)` and answer with `render(...)` or `redirect(...)`; then
list its router here.
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
