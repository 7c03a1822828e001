"""The generated matrix: every API route × every role × an object in and out of the role's scope.

Routes are enumerated from the app, so a route added later joins automatically:
- a route that declares no permission (`require`, `require_by_method`, `signed_in` or `public` from
  kefu.web.deps) fails here; declarations add up (a router's and a route's both apply);
- every role the matrix refuses must get 403, every role it allows must get through the gate;
- path parameters this test knows (below) are filled with an object in the role's scope and one outside
  it, which must answer 404; a parameter it does not know gets a missing object, and a body it has no
  sample of fails validation, so such a route is checked at the permission gate only until a provider is
  added to OBJECTS or a sample to BODIES.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    "ticket_id": lambda w, inside: (w.tickets[w.mine], w.mine) if inside else (w.tickets[w.theirs], w.theirs),
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
    # Any agent may open a ticket for any customer (a call can come from anyone), so not scope-confined.
    ("POST", "/api/v1/tickets"): {"type": "inquiry", "customer_id": "$mine2", "subject": "refund?"},
    ("PATCH", "/api/v1/tickets/{ticket_id}"): {"priority": "high"},
    ("POST", "/api/v1/tickets/{ticket_id}/status"): {"status": "pending"},
    ("POST", "/api/v1/tickets/{ticket_id}/replies"): {"body": "on its way", "public": False},
    ("POST", "/api/v1/tickets/{ticket_id}/customer-messages"): {"body": "thanks"},
    ("POST", "/api/v1/tickets/{ticket_id}/assign"): {},
    ("POST", "/api/v1/tickets/{ticket_id}/escalate"): {"reason": "angry"},
    ("POST", "/api/v1/tickets/{ticket_id}/handoffs"): {"department_id": 1, "task": "check the invoice"},
}


def declarations(route) -> list:
    """What the route declared, router-level and route-level (all of them apply)."""
    found = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        marker = getattr(dependant.call, "kefu_declaration", None)
        if marker is not None:
            found.append(marker)
        stack.extend(dependant.dependencies)
    assert found, f"{route.path}: declares no permission (require, require_by_method, signed_in or public)"
    assert PUBLIC not in found or len(found) == 1, f"{route.path}: public and also {found}"
    return found


def needed(found: list, method: str) -> set[Permission]:
    """Every permission the route needs for `method` (empty: any signed-in actor)."""
    needs = set()
    for decl in found:
        if isinstance(decl, ByMethod):
            needs.add(decl.read if method in SAFE_METHODS else decl.write)
        elif decl != SIGNED_IN:
            needs.add(decl)
    return needs


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
    # Without a valid body the request stops at validation (422) before any scope check could show.
    needs_body = bool(route.dependant.body_params) and (method, route.path) not in BODIES
    known = all(name in OBJECTS for name in params) and not needs_body
    return Call(route.path.format(**values), body if (method, route.path) in BODIES else None, decides, known)


def check_route(method: str, route, client, new_world, as_user) -> list[str]:
    """The problems found on one route, for every role (empty when the route keeps every rule)."""
    try:
        found = declarations(route)
    except AssertionError as exc:
        return [str(exc)]
    if found == [PUBLIC]:
        return []  # reachable without signing in by design (sign-in itself, signed gateway webhooks)
    permissions = needed(found, method)
    problems = []
    shared = new_world() if method in SAFE_METHODS else None
    for role in Role:
        world = shared or new_world()  # a fresh centre per role when a call may change things
        csrf = as_user(client, world.users[role])

        def status(call: Call, headers: dict[str, str] = csrf) -> int:
            return client.request(method, call.path, json=call.body, headers=headers).status_code

        inside = fill(method, route, world, inside=True)
        if not permissions <= permissions_of(role):
            if (got := status(inside)) != 403:
                problems.append(f"{method} {route.path}: {role} must be refused with 403, got {got}")
            continue
        if not inside.known:
            if (got := status(inside)) in (401, 403) and permissions:
                problems.append(f"{method} {route.path}: {role} was refused at the gate ({got})")
            continue
        outside = fill(method, route, world, inside=False)
        for variant in (outside, inside) if inside.decides else (inside,):
            got = status(variant)
            if variant.decides is not None and not world.visible(role, variant.decides):
                if got != 404:
                    problems.append(f"{method} {variant.path}: {role} reached out-of-scope customer ({got})")
            elif got in (401, 403, 404):
                problems.append(f"{method} {variant.path}: {role} was refused ({got})")
    return problems


def test_every_route_enforces_the_matrix_and_the_scopes(client, new_world, as_user):
    """One app and database for all routes (building an app per route would dominate the run time);
    every broken route is listed, not just the first."""
    assert ROUTES, "no API routes found: has FastAPI's route layout changed?"
    problems = [p for method, route in ROUTES for p in check_route(method, route, client, new_world, as_user)]
    assert not problems, "\n".join(problems)


def test_the_matrix_gives_every_role_something_to_do():
    assert all(permissions_of(role) for role in Role)


def test_every_state_changing_route_refuses_a_cookie_request_without_the_csrf_token(client, world, as_user):
    """Generated like the matrix: a new route cannot forget CSRF, because the check sits in authentication."""
    as_user(client, world.users[Role.admin])
    unsafe = [(m, r) for m, r in ROUTES if m not in SAFE_METHODS and declarations(r) != [PUBLIC]]
    assert unsafe
    refused = {}
    for method, route in unsafe:
        call = fill(method, route, world, inside=True)
        response = client.request(method, call.path, json=call.body)
        refused[f"{method} {route.path}"] = (response.status_code, response.json().get("code"))
    assert {k: v for k, v in refused.items() if v != (403, "csrf_failed")} == {}
