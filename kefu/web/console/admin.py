"""The administration pages: an index of the sections the reader may open, and each section's router.

Sections live in their own modules (admin_people, admin_routing, admin_agents, admin_sla, admin_channels,
admin_scripts, admin_audit); each page refuses readers without its permission (403, or sign-in when
anonymous).
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from kefu.web.console import (
    admin_agents,
    admin_audit,
    admin_channels,
    admin_escalation,
    admin_people,
    admin_routing,
    admin_scripts,
    admin_sla,
)
from kefu.web.console.admin_common import render_admin, visible_sections
from kefu.web.console.page import PageDep, sign_in_redirect

router = APIRouter(include_in_schema=False)


@router.get("/console/admin", response_class=HTMLResponse)
def get_admin(page: PageDep) -> Response:
    if page.actor is None:
        return sign_in_redirect(page.request)
    if not visible_sections(page):
        return page.forbidden()
    return render_admin(page, "admin/index.html", "")


SECTION_MODULES = (
    admin_people, admin_routing, admin_agents, admin_sla, admin_escalation, admin_channels, admin_scripts,
    admin_audit,
)  # fmt: skip
for module in SECTION_MODULES:
    router.include_router(module.router)
