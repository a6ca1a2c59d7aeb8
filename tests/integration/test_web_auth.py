"""Dashboard sign-in: the login page and its CSRF, session cookies, logout, page gating, roles."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from clipforge import accounts
from clipforge.api.app import create_app
from clipforge.api.auth import SESSION_COOKIE
from clipforge.bootstrap import Resources
from clipforge.web import routes as web_routes
from clipforge.web.routes import LOGIN_CSRF_COOKIE, safe_next

BASE = "http://127.0.0.1"
EMAIL = "a@example.com"
PASSWORD = "correct horse battery"
ADMIN_EMAIL = "ops@example.com"
ADMIN_PASSWORD = "operator password 1"
PAGES = ["/", "/videos/abc123", "/system"]


@dataclass
class Site:
    app: FastAPI
    client: httpx.AsyncClient
    resources: Resources
    user_id: str


@pytest.fixture
async def site(resources: Resources) -> AsyncIterator[Site]:
    user = accounts.create_user(resources.sessions, EMAIL, password=PASSWORD)
    accounts.create_user(resources.sessions, ADMIN_EMAIL, password=ADMIN_PASSWORD, admin=True)
    app = create_app(resources=resources)
    app.state.accounts_cache = None
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield Site(app, client, resources, user.id)


@pytest.fixture
async def single_user_client(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(resources=resources)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no csrf_token field"
    return found.group(1)


def page_config(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="page-config">(.*?)</script>', html)
    assert found
    config: dict[str, object] = json.loads(found.group(1))
    return config


def set_cookie_headers(response: httpx.Response, name: str) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]


async def sign_in(
    client: httpx.AsyncClient, email: str = EMAIL, password: str = PASSWORD, next_path: str = "/"
) -> httpx.Response:
    page = await client.get("/login")
    assert page.status_code == 200
    data = {"csrf_token": form_token(page.text), "next": next_path}
    data |= {"email": email, "password": password}
    return await client.post("/login", data=data)


# --- signed out ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
async def test_pages_redirect_to_login_when_signed_out(site: Site, path: str) -> None:
    r = await site.client.get(path)
    assert r.status_code == 303
    location = urlsplit(r.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [path]


async def test_api_answers_401_when_signed_out(site: Site) -> None:
    r = await site.client.get("/v1/videos")
    assert r.status_code == 401


async def test_login_page_sets_a_strict_httponly_csrf_cookie(site: Site) -> None:
    r = await site.client.get("/login?next=/videos/abc")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    [cookie] = set_cookie_headers(r, LOGIN_CSRF_COOKIE)
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    assert value and value == form_token(r.text)
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=strict" in flags
    assert "secure" not in flags  # plain http in tests
    # Both forms: password and API key, each with the token and the next path.
    assert 'name="password"' in r.text and 'name="api_key"' in r.text
    assert "Sign in with an API key" in r.text
    assert r.text.count(f'value="{value}"') == 2
    assert r.text.count('name="next" value="/videos/abc"') == 2
    assert "Content-Security-Policy" in r.headers
    assert "Sign out" not in r.text


# --- password sign-in -------------------------------------------------------------------------


async def test_wrong_password_is_400_without_a_session(site: Site) -> None:
    r = await sign_in(site.client, password="not the password")
    assert r.status_code == 400
    assert "The email or password is not right." in r.text
    assert not set_cookie_headers(r, SESSION_COOKIE)
    assert SESSION_COOKIE not in site.client.cookies


async def test_unknown_email_gets_the_same_answer(site: Site) -> None:
    r = await sign_in(site.client, email="nobody@example.com")
    assert r.status_code == 400
    assert "The email or password is not right." in r.text
    assert "No user" not in r.text
    assert not set_cookie_headers(r, SESSION_COOKIE)


async def test_missing_or_mismatched_csrf_is_400(site: Site) -> None:
    page = await site.client.get("/login")
    token = form_token(page.text)
    creds = {"email": EMAIL, "password": PASSWORD}

    missing_field = await site.client.post("/login", data=creds)
    assert missing_field.status_code == 400
    assert "expired or was not sent from this site" in missing_field.text
    assert not set_cookie_headers(missing_field, SESSION_COOKIE)

    mismatched = await site.client.post("/login", data=creds | {"csrf_token": token + "x"})
    assert mismatched.status_code == 400
    assert not set_cookie_headers(mismatched, SESSION_COOKIE)

    # The right field but no cookie (a cross-site form cannot make the browser send it).
    site.client.cookies.clear()
    no_cookie = await site.client.post("/login", data=creds | {"csrf_token": token})
    assert no_cookie.status_code == 400
    assert not set_cookie_headers(no_cookie, SESSION_COOKIE)
    # ... and the re-rendered page hands out a fresh pair, so trying again works.
    again = await site.client.post(
        "/login", data=creds | {"csrf_token": form_token(no_cookie.text)}
    )
    assert again.status_code == 303


async def test_right_password_sets_the_session_cookie(site: Site) -> None:
    r = await sign_in(site.client, next_path="/videos/abc123")
    assert r.status_code == 303
    assert r.headers["location"] == "/videos/abc123"
    [cookie] = set_cookie_headers(r, SESSION_COOKIE)
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "path=/" in flags
    assert f"max-age={14 * 24 * 3600}" in flags
    assert "secure" not in flags


async def test_session_cookie_is_secure_over_https(resources: Resources) -> None:
    accounts.create_user(resources.sessions, EMAIL, password=PASSWORD)
    app = create_app(resources=resources)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://127.0.0.1") as client:
        page = await client.get("/login")
        assert "secure" in set_cookie_headers(page, LOGIN_CSRF_COOKIE)[0].lower()
        r = await sign_in(client)
    assert r.status_code == 303
    [cookie] = set_cookie_headers(r, SESSION_COOKIE)
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]


async def test_signed_in_pages_carry_the_csrf_token_and_user(site: Site) -> None:
    assert (await sign_in(site.client)).status_code == 303
    session = accounts.session_for_cookie(
        site.resources.sessions, site.client.cookies[SESSION_COOKIE]
    )
    assert session is not None
    for path in PAGES:
        r = await site.client.get(path)
        assert r.status_code == 200, path
        config = page_config(r.text)
        assert config["csrfToken"] == session.csrf_token
        assert config["user"] == {"email": EMAIL, "role": "user"}
        assert config["singleUser"] is False
        assert EMAIL in r.text
        assert 'action="/logout"' in r.text
        assert f'name="csrf_token" value="{session.csrf_token}"' in r.text
        assert "Single-user mode" not in r.text


@pytest.mark.parametrize(
    "next_path",
    ["//evil.com", "https://evil.com", "//evil.com/path", "/\\evil.com", "/\t/evil.com", "evil"],
)
async def test_next_never_leaves_the_site(site: Site, next_path: str) -> None:
    r = await sign_in(site.client, next_path=next_path)
    assert r.status_code == 303
    assert r.headers["location"] == "/"


async def test_login_page_renders_only_a_safe_next(site: Site) -> None:
    r = await site.client.get("/login", params={"next": "//evil.com"})
    assert 'name="next" value="/"' in r.text
    assert "evil.com" not in r.text


def test_safe_next_unit() -> None:
    assert safe_next("/videos/x?tab=clips") == "/videos/x?tab=clips"
    assert safe_next("/system") == "/system"
    for bad in [None, "", "x", "//a", "///a", "https://a", "/\\a", "/a\\b", "/\n/a", "/login"]:
        assert safe_next(bad) == "/", bad


# --- the API with a session cookie ------------------------------------------------------------


async def test_api_post_with_the_cookie_needs_the_csrf_header(site: Site) -> None:
    assert (await sign_in(site.client)).status_code == 303
    token = page_config((await site.client.get("/")).text)["csrfToken"]
    assert isinstance(token, str) and token
    body = {"url": "http://127.0.0.1/x.mp4"}

    no_header = await site.client.post("/v1/videos/import", json=body, headers={"Origin": BASE})
    assert no_header.status_code == 403
    assert no_header.json()["error"]["code"] == "csrf"

    wrong = await site.client.post(
        "/v1/videos/import", json=body, headers={"Origin": BASE, "X-CSRF-Token": token + "x"}
    )
    assert wrong.status_code == 403

    ok = await site.client.post(
        "/v1/videos/import", json=body, headers={"Origin": BASE, "X-CSRF-Token": token}
    )
    # Past authentication: the URL itself is then refused as private.
    assert ok.status_code == 400, ok.text
    assert ok.json()["error"]["code"] == "invalid_request"
    assert "private or local network" in ok.json()["error"]["message"]

    cross_site = await site.client.post(
        "/v1/videos/import",
        json=body,
        headers={"Origin": "https://evil.example", "X-CSRF-Token": token},
    )
    assert cross_site.status_code == 403
    assert cross_site.json()["error"]["code"] == "forbidden"

    # Reads need no token.
    assert (await site.client.get("/v1/videos")).status_code == 200


# --- API key sign-in ----------------------------------------------------------------------------


async def _sign_in_with_key(client: httpx.AsyncClient, secret: str) -> httpx.Response:
    page = await client.get("/login")
    data = {"csrf_token": form_token(page.text), "next": "/system", "api_key": secret}
    return await client.post("/login", data=data)


async def test_sign_in_with_an_api_key(site: Site) -> None:
    new = accounts.create_key(site.resources.sessions, site.user_id, "laptop")
    r = await _sign_in_with_key(site.client, new.secret)
    assert r.status_code == 303
    assert r.headers["location"] == "/system"
    assert set_cookie_headers(r, SESSION_COOKIE)
    config = page_config((await site.client.get("/")).text)
    assert config["user"] == {"email": EMAIL, "role": "user"}
    assert config["csrfToken"]


async def test_revoked_or_invalid_api_key_does_not_sign_in(site: Site) -> None:
    new = accounts.create_key(site.resources.sessions, site.user_id, "old")
    accounts.revoke_key(site.resources.sessions, site.user_id, new.key.id)
    for secret in [new.secret, "cf_not-a-real-key", "garbage"]:
        r = await _sign_in_with_key(site.client, secret)
        assert r.status_code == 400, secret
        assert "not valid or has been revoked" in r.text
        assert not set_cookie_headers(r, SESSION_COOKIE)
    assert (await site.client.get("/")).status_code == 303


async def test_empty_form_is_400(site: Site) -> None:
    page = await site.client.get("/login")
    r = await site.client.post("/login", data={"csrf_token": form_token(page.text)})
    assert r.status_code == 400
    assert "Enter your email and password, or an API key." in r.text


# --- logout -------------------------------------------------------------------------------------


async def test_logout_needs_the_csrf_token_and_then_ends_the_session(site: Site) -> None:
    assert (await sign_in(site.client)).status_code == 303
    cookie = site.client.cookies[SESSION_COOKIE]
    token = page_config((await site.client.get("/")).text)["csrfToken"]
    assert isinstance(token, str)

    refused = await site.client.post("/logout", data={})
    assert refused.status_code == 403
    assert (await site.client.get("/v1/videos")).status_code == 200  # still signed in
    wrong = await site.client.post("/logout", data={"csrf_token": "nope"})
    assert wrong.status_code == 403
    cross = await site.client.post(
        "/logout", data={"csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    assert (await site.client.get("/v1/videos")).status_code == 200

    r = await site.client.post("/logout", data={"csrf_token": token}, headers={"Origin": BASE})
    assert r.status_code == 303
    assert r.headers["location"] == "/login"
    [cleared] = set_cookie_headers(r, SESSION_COOKIE)
    assert "max-age=0" in cleared.lower()
    assert SESSION_COOKIE not in site.client.cookies

    # The old cookie is dead server-side too, not just forgotten by this browser.
    replay = await site.client.get("/v1/videos", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    assert replay.status_code == 401
    assert (await site.client.get("/")).status_code == 303


async def test_logout_accepts_the_header_too(site: Site) -> None:
    assert (await sign_in(site.client)).status_code == 303
    token = page_config((await site.client.get("/")).text)["csrfToken"]
    assert isinstance(token, str)
    r = await site.client.post("/logout", headers={"X-CSRF-Token": token})
    assert r.status_code == 303
    assert (await site.client.get("/v1/videos")).status_code == 401


# --- roles --------------------------------------------------------------------------------------


async def test_non_admin_sees_operators_only(site: Site) -> None:
    assert (await sign_in(site.client)).status_code == 303
    r = await site.client.get("/system")
    assert r.status_code == 200
    assert "Operators only" in r.text
    assert "/static/system.js" not in r.text
    assert 'id="queues-body"' not in r.text
    assert (await site.client.get("/v1/queues/metrics")).status_code == 403


async def test_admin_sees_the_system_widgets(site: Site) -> None:
    assert (await sign_in(site.client, ADMIN_EMAIL, ADMIN_PASSWORD)).status_code == 303
    r = await site.client.get("/system")
    assert r.status_code == 200
    assert "Operators only" not in r.text
    assert '<script type="module" src="/static/system.js"' in r.text
    assert page_config(r.text)["user"] == {"email": ADMIN_EMAIL, "role": "admin"}


# --- single-user mode ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
async def test_single_user_mode_needs_no_sign_in(
    single_user_client: httpx.AsyncClient, path: str
) -> None:
    r = await single_user_client.get(path)
    assert r.status_code == 200
    config = page_config(r.text)
    assert config["singleUser"] is True
    assert config["csrfToken"] is None
    assert "Single-user mode" in r.text
    assert 'action="/logout"' not in r.text
    assert "Operators only" not in r.text  # the local user is the operator


async def test_login_page_in_single_user_mode_says_no_sign_in_is_needed(
    single_user_client: httpx.AsyncClient,
) -> None:
    r = await single_user_client.get("/login")
    assert r.status_code == 200
    assert "No sign-in needed" in r.text
    assert 'href="/"' in r.text
    assert 'name="password"' not in r.text


async def test_page_config_cannot_break_out_of_its_script_tag(
    single_user_client: httpx.AsyncClient,
) -> None:
    # "<!--<script>" inside a script element would change how the HTML parser ends it.
    r = await single_user_client.get("/videos/%3C!--%3Cscript%3Ealert(1)")
    assert r.status_code == 200
    assert "<!--<script>" not in r.text
    assert page_config(r.text)["videoId"] == "<!--<script>alert(1)"


def test_login_csrf_cookie_name() -> None:
    assert web_routes.LOGIN_CSRF_COOKIE == "clipforge_login_csrf"
