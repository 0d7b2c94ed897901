"""One app, four vendor APIs: each sub-app answers in its own vendor's error envelope, dx.gl
keeps every path it had at the root, and all of them share the root's state."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from starlette.routing import Mount

from broker import errors
from broker.api.error_handlers import ErrorDialect
from broker.app import create_app
from broker.dialects.dxgl import errors as dxgl_errors
from broker.dialects.refinery import errors as refinery_errors
from broker.dialects.rigyd import errors as rigyd_errors
from broker.dialects.thrixel import errors as thrixel_errors

# prefix, a path of that vendor's API, how its error body reads the message
VENDORS = (
    ("/refinery", "/api/v1/nope/status", lambda body: body["detail"]),
    ("/rigyd", "/api/nope/nothing", lambda body: body["error"]),
    ("/thrixel", "/api/v1/nope/nothing", lambda body: body["detail"]),
)


def _sub_app(app: FastAPI, prefix: str) -> FastAPI:
    if not prefix:
        default = app.router.default
        assert isinstance(default, FastAPI)
        return default
    (mount,) = [r for r in app.routes if isinstance(r, Mount) and r.path == prefix]
    assert isinstance(mount.app, FastAPI)
    return mount.app


def _leaves(cls: type[errors.DomainError]) -> list[type[errors.DomainError]]:
    subs = cls.__subclasses__()
    return [c for sub in subs for c in _leaves(sub)] if subs else [cls]


@pytest.mark.parametrize(("prefix", "path", "message"), VENDORS)
def test_an_unknown_path_answers_in_the_vendors_envelope(client, prefix, path, message):
    res = client.get(prefix + path)
    assert res.status_code == 404
    body = res.json()
    assert set(body) == ({"error"} if prefix == "/rigyd" else {"detail"})
    assert message(body) == "Not Found"


@pytest.mark.parametrize(("prefix", "path", "message"), VENDORS)
def test_a_vendors_routes_answer_405_500_and_domain_errors_in_its_envelope(
    ctx, prefix, path, message
):
    app = create_app(ctx)
    sub = _sub_app(app, prefix)

    @sub.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    @sub.get("/gone")
    def gone() -> None:
        raise errors.RenderNotFound()

    @sub.get("/busy")
    def busy() -> None:
        raise errors.ServiceUnavailable("Renderer restarting", retry_after=7)

    with TestClient(app, raise_server_exceptions=False) as client:
        res = client.get(f"{prefix}/boom")
        assert res.status_code == 500 and message(res.json()) == "Internal server error"
        assert "secret" not in res.text and "Traceback" not in res.text
        res = client.delete(f"{prefix}/boom")
        assert res.status_code == 405 and res.headers["Allow"] == "GET, HEAD"
        assert message(res.json()) == "Method Not Allowed"
        res = client.get(f"{prefix}/gone")  # the vendor's row for its group, NotFound
        assert res.status_code == 404 and "not found" in message(res.json()).lower()
        res = client.get(f"{prefix}/busy")
        assert res.headers["Retry-After"] == "7"
        assert res.status_code in (502, 503) and message(res.json()) == "Renderer restarting"


@pytest.mark.parametrize(("prefix", "path", "message"), VENDORS)
def test_the_request_guard_refuses_in_the_vendors_envelope(client, prefix, path, message):
    res = client.post(
        prefix + path,
        content=b"[" * 10 + b"0" * (1024 * 1024 + 1),
        headers={"Content-Type": "application/json"},
    )
    assert res.status_code == 413
    assert message(res.json()) == "Request body exceeds the 1 MB limit"
    res = client.get(prefix + path + "%00")
    assert res.status_code == 400
    assert message(res.json()) == "The URL path contains a NUL character"


def test_dxgl_keeps_its_paths_at_the_root(client, user):
    assert client.get("/v1/health").status_code == 200
    assert client.get("/v1/account", headers=user.headers).json()["data"]["email"] == user.email
    assert client.get("/v1/openapi.json").json()["info"]["title"] == "meshfarm"
    assert "swagger" in client.get("/v1/docs").text.lower()
    assert client.get("/openapi.json").status_code == 404  # the root has no docs of its own
    # Whatever no other dialect claims is dx.gl's, a prefix only at a segment boundary.
    for path in ("/nope", "/rigydx/api", "/v1/nope"):
        res = client.get(path)
        assert res.status_code == 404
        assert res.json()["error"] == {"code": "not_found", "message": "Not Found", "status": 404}
    res = client.post("/v1/renders", content=b"{" * 2000, headers=user.headers)
    assert res.json()["error"]["code"] == "invalid_request"


def test_every_sub_app_reads_the_state_set_on_the_root_app(ctx):
    app = create_app(ctx)
    for prefix in ("", "/refinery", "/rigyd", "/thrixel"):

        @_sub_app(app, prefix).get("/state-probe")
        def probe(request: Request) -> dict[str, str]:
            return {"marker": request.app.state.marker, "ctx": str(request.app.state.ctx is ctx)}

    app.state.marker = "set after create_app, as serve and the tests set the dispatcher"
    with TestClient(app) as client:
        for prefix in ("", "/refinery", "/rigyd", "/thrixel"):
            body = client.get(f"{prefix}/state-probe").json()
            assert body == {"marker": app.state.marker, "ctx": "True"}, prefix


def test_an_error_inside_a_sub_app_is_logged_once(ctx, caplog):
    app = create_app(ctx)

    @_sub_app(app, "").get("/v1/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with (
        caplog.at_level(logging.ERROR, logger="meshfarm.broker"),
        TestClient(app, raise_server_exceptions=False) as client,
    ):
        res = client.get("/v1/boom")
    assert res.status_code == 500 and res.json()["error"]["code"] == "internal"
    assert len([r for r in caplog.records if "unhandled" in r.getMessage()]) == 1


@pytest.mark.parametrize(
    "dialect",
    [dxgl_errors.ERRORS, refinery_errors.ERRORS, rigyd_errors.ERRORS, thrixel_errors.ERRORS],
    ids=["dxgl", "refinery", "rigyd", "thrixel"],
)
def test_every_domain_error_has_a_row(dialect: ErrorDialect):
    leaves = _leaves(errors.DomainError)
    assert errors.ModelNotFound in leaves and errors.SettingRejected in leaves
    missing = [cls.__name__ for cls in leaves if dialect.row(cls) is None]
    assert not missing


def test_dxgl_names_every_error_itself():
    """dx.gl's codes are one per error, never a group's: a leaf resolves to its own row or
    to a dx.gl-coded parent, never to a bare group such as NotFound."""
    groups = {
        errors.DomainError,
        errors.NotFound,
        errors.InvalidInput,
        errors.TooLarge,
        errors.AuthError,
        errors.Conflict,
        errors.Unavailable,
    }
    assert not groups & set(dxgl_errors.TABLE)
    assert (
        dxgl_errors.ERRORS.row(errors.SettingRejected) == dxgl_errors.TABLE[errors.InvalidSettings]
    )
