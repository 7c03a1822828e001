"""The generated matrix: every API route × every role × an object in and out of the role's scope.

Routes are enumerated from the app, so a route added later joins automatically:
- a route that declares no permission (`require`, `require_by_method`, `signed_in` or `public` from
  kefu.web.deps) fails here;
- every role the matrix refuses must get 403, every role it allows must get through the gate;
- path parameters this test knows (below) are filled with an object in the role's scope and one outside
  it, which must answer 404; a parameter it does not know gets a missing object, so that route is checked
  at the permission gate only until a provider is added to OBJECTS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from kefu.access.permissions import Permission, permissions_of
from kefu.access.roles import Role
from kefu.web.app import api_router
from kefu.web.deps import PUBLIC, SIGNED_IN, ByMethod
from kefu.web.security import SAFE_METHODS

MISSING = "999999"


def api_routes() -> list:
    """Every API route as the app serves it (full path, and router-level dependencies included)."""
    app = FastAPI()
    app.include_router(api_router())
    return [c for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]


ROUTES = [(method, route) for route in api_routes() for method in sorted(route.methods)]

# Path parameter -> (object inside the scope, object outside it, the customer that decides visibility).
# Unscoped objects (tokens, users, requests) name the same object in both variants.
OBJECTS = {
    "customer_id": lambda w, inside: (w.mine if inside else w.theirs, w.mine if inside else w.theirs),
    "merge_id": lambda w, inside: (w.merge_mine, w.mine2) if inside else (w.merge_theirs, w.theirs),
    "user_id": lambda w, inside: (w.target.id, None),
    "token_id": lambda w, inside: (w.token_id, None),
    "request_id": lambda w, inside: (w.request_id, None),
    "channel": lambda w, inside: ("app", None),
}
# Request bodies that pass validation, so that the scope check (not a 422) decides. "$customer" is the
# customer under test (in or out of scope), "$mine2" another customer in the agent's scope.
BODIES = {
    ("POST", "/api/v1/tokens"): {"name": "crm", "scopes": ["customers:read"]},
    ("POST", "/api/v1/permission-requests"): {"user_id": "$target", "reason": "cover", "role": "team_lead"},
    ("POST", "/api/v1/permission-requests/{request_id}/approve"): {"reason": "agreed"},
    ("POST", "/api/v1/permission-requests/{request_id}/reject"): {"reason": "not now"},
    ("POST", "/api/v1/customers/merges"): {"source_id": "$customer", "target_id": "$mine2"},
    ("PUT", "/api/v1/customers/{customer_id}/value"): {"lifetime_value": "120.00"},
    ("POST", "/api/v1/auth/password"): {"current_password": "x", "new_password": "y"},
    ("POST", "/api/v1/users"): {"username": "$username", "display_name": "New Colleague"},
}


def declaration(route) -> object:
    found = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        marker = getattr(dependant.call, "kefu_declaration", None)
        if marker is not None:
            found.append(marker)
        stack.extend(dependant.dependencies)
    assert len(found) == 1, f"{route.path}: declare exactly one permission (found {found})"
    return found[0]


def needed(decl: object, method: str) -> Permission | None:
    if isinstance(decl, ByMethod):
        return decl.read if method in SAFE_METHODS else decl.write
    return None if decl == SIGNED_IN else decl  # type: ignore[return-value]


@dataclass
class Call:
    path: str
    body: dict | None
    decides: int | None  # the customer whose visibility decides the answer; None: not scope-confined
    known: bool  # every path parameter named a real object


def fill(method: str, route, world, inside: bool) -> Call:
    params = re.findall(r"{(\w+)}", route.path)
    values, decides = {}, None
    for name in params:
        value, customer = OBJECTS[name](world, inside) if name in OBJECTS else (MISSING, None)
        values[name], decides = value, decides or customer
    customer = world.mine if inside else world.theirs
    substitutes = {
        "$customer": customer,
        "$mine2": world.mine2,
        "$target": world.target.id,
        "$username": f"new-{world.team_a.id}",
    }
    template = BODIES.get((method, route.path), {})
    body = {k: substitutes.get(v, v) if isinstance(v, str) else v for k, v in template.items()}
    if "$customer" in template.values():
        decides = customer
    known = all(name in OBJECTS for name in params)
    return Call(route.path.format(**values), body or None, decides, known)


@pytest.mark.parametrize(("method", "route"), ROUTES, ids=[f"{m} {r.path}" for m, r in ROUTES])
def test_every_route_enforces_the_matrix_and_the_scopes(method, route, client, new_world, as_user):
    decl = declaration(route)
    if decl == PUBLIC:
        return  # reachable without signing in by design (sign-in itself, signed gateway webhooks)
    permission = needed(decl, method)
    for role in Role:
        world = new_world()  # a fresh centre per role: a call may merge customers or change rights
        csrf = as_user(client, world.users[role])
        inside = fill(method, route, world, inside=True)

        def call(c: Call, headers: dict[str, str] = csrf) -> int:
            return client.request(method, c.path, json=c.body, headers=headers).status_code

        if not (permission is None or permission in permissions_of(role)):
            assert call(inside) == 403, f"{role} must be refused"
            continue
        if not inside.known:
            assert call(inside) not in (401, 403) or permission is None, f"{role} was refused at the gate"
            continue
        outside = fill(method, route, world, inside=False)
        for variant in (outside, inside) if inside.decides else (inside,):
            status = call(variant)
            if variant.decides is not None and not world.visible(role, variant.decides):
                assert status == 404, f"{role} reached customer {variant.decides} out of scope ({status})"
            else:
                assert status not in (401, 403, 404), f"{role} was refused {variant.path} ({status})"


def test_the_matrix_gives_every_role_something_to_do():
    assert all(permissions_of(role) for role in Role)
