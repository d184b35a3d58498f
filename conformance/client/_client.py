"""The vCenter REST (/api) client: one login session, every exchange recorded.

Unlike an SDK, this client never raises on an HTTP error status: the suite
wants to judge the status itself. It raises only when there is nothing to
judge (see ``_exceptions``).
"""

from __future__ import annotations

import functools
import http.cookiejar
import json as jsonlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from requests import sessions as _requests_sessions

if TYPE_CHECKING:  # names that exist only in the requests stubs
    from requests.sessions import _Cert, _Settings, _TextMapping, _Verify

from ._exceptions import LoginFailed, RequestTimeout, ServiceUnavailable, TransportError
from ._exchange import Exchange
from ._redact import GLOBAL_REDACTOR, Redactor
from ._rest import LOGIN_PATH, api_view, translate

#: what the ``dialect`` argument takes: ``auto`` is resolved by :meth:`VcenterClient.login`
DIALECTS = ("auto", "api", "rest")
#: answers to ``POST /api/session`` that mean "no /api here" (6.7), so ``auto`` tries /rest
_NO_API = frozenset({404, 405, 501})

SESSION_HEADER = "vmware-api-session-id"
#: Statuses that mean "the service is not there right now", never a conformance verdict.
UNAVAILABLE = frozenset({502, 503, 504})
_NO_BODY: Any = object()
#: A transfer's response body is kept in the exchange only when it is an error this short.
TRANSFER_TEXT_LIMIT = 4096
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

#: requests' merge of a request's setting with the session's (untyped in the stubs)
merge_setting: Callable[..., Any] = _requests_sessions.merge_setting

ExchangeListener = Callable[[Exchange], None]
SendFunction = Callable[[], tuple[requests.Response, str | bytes | None, float]]


class PinnedTlsSession(requests.Session):
    """A ``requests.Session`` whose ``verify`` the environment cannot undo, and which
    reads the proxy settings of the environment once per target, not once per request.

    requests lets ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` replace a Session's
    ``verify`` on every request that does not name one (common on corporate and CI
    machines), which would silently drop ``--ca-bundle`` or ``--insecure``. Here a CA
    bundle or ``False`` set on the Session wins; with ``verify=True`` (system CAs)
    the variables still apply, as requests documents.

    With ``trust_env`` (the default) requests asks the environment for proxies on every
    request (``HTTPS_PROXY``, ``NO_PROXY``...: a walk over every variable, twice), about
    a millisecond each on a machine with a large environment: a tenth of a run's CPU.
    The answer depends only on the URL's scheme, host and port (and the environment,
    which a run does not change), so it is kept per origin: a proxy is still honoured.
    """

    def __init__(self, verify: bool | str = True) -> None:
        super().__init__()
        self.verify = verify
        #: (origin, no_proxy) -> the environment's proxies for it (requests' own lookup)
        self._environ_proxies: dict[tuple[str, str | None], dict[str, str]] = {}

    def environ_proxies(self, url: str, no_proxy: str | None = None) -> dict[str, str]:
        """``requests.utils.get_environ_proxies(url, no_proxy)``, looked up once per origin."""
        parts = urlsplit(url)
        key = (f"{parts.scheme}://{parts.netloc}", no_proxy)
        found = self._environ_proxies.get(key)
        if found is None:
            found = self._environ_proxies[key] = requests.utils.get_environ_proxies(
                url, no_proxy=no_proxy
            )
        return found

    def merge_environment_settings(
        self,
        url: str | bytes | None,
        proxies: _TextMapping | None,
        stream: bool | None,
        verify: _Verify | None,
        cert: _Cert | None,
    ) -> _Settings:
        if self.trust_env and isinstance(url, str):
            # requests' own merge, with the proxy lookup cached (requests 2.34's
            # Session.merge_environment_settings, otherwise step for step).
            merged_proxies = dict(proxies or {})
            no_proxy = merged_proxies.get("no_proxy")
            for scheme, proxy in self.environ_proxies(url, no_proxy).items():
                merged_proxies.setdefault(scheme, proxy)
            if verify is None and self.verify is not True:
                pinned: _Verify | None = self.verify
            elif verify is True or verify is None:
                pinned = (
                    os.environ.get("REQUESTS_CA_BUNDLE")
                    or os.environ.get("CURL_CA_BUNDLE")
                    or verify
                )
            else:
                pinned = verify
            return {
                "proxies": merge_setting(merged_proxies, self.proxies),
                "stream": merge_setting(stream, self.stream),
                "verify": merge_setting(pinned, self.verify),
                "cert": merge_setting(cert, self.cert),
            }
        merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None and self.verify is not True:
            merged["verify"] = self.verify
        return merged


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Keep no cookie a target sets, send none.

    A login session travels in the ``vmware-api-session-id`` header, as the docs say.
    vCenter's /rest login (and vcsim's) also sets a cookie of that name: kept, it would
    authenticate the requests a test makes *without* a session (AUTH-NO-SESSION-401,
    a bogus or logged-out session) and turn a correct 401 into a 200.
    """

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


class VcenterClient:
    """A logged-in connection to one vCenter (or the mock) over HTTP(S)."""

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        *,
        verify: bool | str = True,
        timeout: float = 30.0,
        redactor: Redactor = GLOBAL_REDACTOR,
        user_agent: str = "vcenter-conformance",
        unavailable_retries: int = 2,
        retry_delay: float = 0.5,
        relogin: bool = True,
        dialect: str = "api",
    ) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"dialect {dialect!r} is not one of {', '.join(DIALECTS)}")
        #: ``api`` or ``rest`` (legacy): which flavour requests go out in; ``auto`` until login
        self.dialect = dialect
        self.base_url = base_url.rstrip("/")
        self.user = user
        self._password = password
        self.timeout = timeout
        self.redactor = redactor
        self.redactor.add_basic_credentials(user, password)
        self._http = PinnedTlsSession(verify)
        self._http.cookies.set_policy(_NoCookies())
        self._http.headers.update({"Accept": "application/json", "User-Agent": user_agent})
        self._token: str | None = None
        self._listeners: list[ExchangeListener] = []
        self._lock = threading.Lock()
        self.unavailable_retries = unavailable_retries
        self.retry_delay = retry_delay
        self.relogin = relogin
        #: how often an expired login session was renewed (shown in the report)
        self.relogins = 0
        #: called before every request is sent (API, login, transfer); it may raise to stop
        #: a run that has run out of time (the suite's deadline), so that no new request
        #: starts once the deadline has passed
        self.before_request: Callable[[], None] | None = None
        if verify is False:
            import urllib3

            # --insecure already warns once, loudly; one warning per request helps nobody.
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

    def __repr__(self) -> str:  # never show the password
        return f"VcenterClient({self.base_url!r}, user={self.user!r})"

    # -- recording -------------------------------------------------------------
    def add_listener(self, listener: ExchangeListener) -> None:
        """Call ``listener`` with every exchange from now on (used to attach them to reports)."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: ExchangeListener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    # -- login session ---------------------------------------------------------
    @property
    def token(self) -> str | None:
        return self._token

    def login(self) -> Exchange:
        """Create an API session with Basic auth; raise :class:`LoginFailed` if refused.

        With ``dialect="auto"``, ``POST /api/session`` is tried first; an answer that
        says there is no /api (404, 405, 501: vCenter 6.7) falls back to the legacy
        ``POST /rest/com/vmware/cis/session``, and ``dialect`` becomes what answered.
        """
        path = LOGIN_PATH if self.dialect == "rest" else "/api/session"
        response, body, elapsed_ms = self._send("POST", path, basic_auth=True)
        if self.dialect == "auto":
            if response.status_code in _NO_API:
                self._finish(response, body, elapsed_ms)
                response, body, elapsed_ms = self._send("POST", LOGIN_PATH, basic_auth=True)
                self.dialect = "rest"
            else:
                self.dialect = "api"
        token: Any = None
        if response.status_code in (200, 201):
            try:
                token = response.json()
            except ValueError:
                token = None
        if isinstance(token, dict) and "value" in token:  # legacy /rest envelope
            token = token["value"]
        if isinstance(token, str) and token:
            # Registered before the exchange is recorded, so no report shows it.
            self.redactor.add(token)
        read = None
        if self.dialect == "rest":  # listeners see the /api reading, with the wire on it
            api_url = self.base_url + "/api/session"

            def read(wire: Exchange) -> Exchange:
                return api_view(wire, "POST", api_url, "create")

        exchange = self._finish(response, body, elapsed_ms, read)
        if not isinstance(token, str) or not token:
            raise LoginFailed(
                f"login to {self.base_url} as {self.user!r} answered {exchange.status}, "
                "not a session token: check the user, the password and the target URL",
                exchange,
            )
        self._token = token
        return exchange

    def logout(self) -> Exchange | None:
        """Delete the API session, if there is one."""
        if self._token is None:
            return None
        try:
            return self.request("DELETE", "/api/session")
        finally:
            self._token = None

    def close(self) -> None:
        self._http.close()

    # -- requests --------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = _NO_BODY,
        data: str | bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        session_token: str | None = None,
    ) -> Exchange:
        """Send one request and return the recorded exchange, whatever its status.

        ``auth=False`` sends no session header; ``session_token`` sends that
        token instead of the client's own (to test a bogus or dead token).

        Two things are handled here rather than judged: 502/503/504 are retried
        and then raise :class:`ServiceUnavailable` (Error, not Fail); a 401 to a
        request made with the client's own token renews the login session once
        (vCenter expires idle API sessions; long transfers do not keep them alive).
        """
        send: SendFunction = functools.partial(
            self._send,
            method,
            path,
            json=json,
            data=data,
            params=params,
            headers=headers,
            auth=auth,
            session_token=session_token,
        )
        read: Callable[[Exchange], Exchange] = _as_is
        legacy = self._legacy(
            method,
            path,
            json=json,
            data=data,
            params=params,
            headers=headers,
            auth=auth,
            session_token=session_token,
        )
        if legacy is not None:
            send, read = legacy
        own_token = auth and session_token is None
        for attempt in range(self.unavailable_retries + 1):
            response, body, elapsed_ms = send()
            if (
                response.status_code == 401
                and own_token
                and self._token is not None
                and self.relogin
                and path != "/api/session"
            ):
                self._finish(response, body, elapsed_ms, read)
                self.relogins += 1
                self._token = None
                self.login()
                response, body, elapsed_ms = send()
            exchange = self._finish(response, body, elapsed_ms, read)
            if exchange.status not in UNAVAILABLE:
                return exchange
            if attempt < self.unavailable_retries:
                time.sleep(self.retry_delay * (attempt + 1))
        raise ServiceUnavailable(
            f"{method} {exchange.url} answered {exchange.status} "
            f"{self.unavailable_retries + 1} times: the service is unavailable",
            exchange,
        )

    def _legacy(
        self,
        method: str,
        path: str,
        *,
        json: Any,
        data: str | bytes | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        auth: bool,
        session_token: str | None,
    ) -> tuple[SendFunction, Callable[[Exchange], Exchange]] | None:
        """In the /rest dialect: how to send this /api request, and how to read its answer."""
        if self.dialect != "rest":
            return None
        has_json = json is not _NO_BODY
        rest = translate(
            method,
            path,
            dict(params) if params else None,
            json if has_json else None,
            has_json,
            dict(headers) if headers else None,
        )
        if rest is None:
            return None
        query = "?" + urlencode(params) if params else ""
        api_url = self.redactor.redact(self.base_url + path + query)

        extra = {k: v for k, v in (headers or {}).items() if k.lower() != "client-token"}
        send_rest = functools.partial(
            self._send,
            rest.method,
            rest.path,
            # a raw body (a test of malformed JSON) goes as it is: no wrapper can hold it
            json=rest.json if rest.has_json and data is None else _NO_BODY,
            data=data,
            params=rest.params,
            headers=extra or None,
            auth=auth,
            session_token=session_token,
        )

        def reading(wire: Exchange) -> Exchange:
            return api_view(wire, method, api_url, rest.kind)

        return send_rest, reading

    # -- file transfers (outside /api) ------------------------------------------
    def transfer(
        self,
        method: str,
        url: str,
        *,
        data: bytes | Iterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        max_redirects: int = 3,
    ) -> tuple[Exchange, bytes]:
        """Send file bytes to, or fetch them from, a transfer endpoint; return both.

        ``url`` is absolute (an upload or download endpoint may name another host
        than /api); a path starting with ``/`` is taken relative to the target.
        ``data`` may be an iterable of chunks, sent with chunked encoding. The
        response is streamed. The recorded exchange never holds file content:
        the request body is replaced by a byte count, and so is the response
        body unless it is a short error. No retries and no re-login: a stream
        cannot be replayed, and the status is the target's to be judged. A GET
        follows up to ``max_redirects`` redirects, dropping the session header
        when the host changes.
        """
        if url.startswith("/"):
            url = self.base_url + url
        send_headers: dict[str, str] = {"Accept": "*/*"}
        if data is not None:
            send_headers["Content-Type"] = "application/octet-stream"
        if auth and self._token is not None:
            send_headers[SESSION_HEADER] = self._token
        if headers:
            send_headers.update(headers)
        sent = [0]
        body: bytes | Iterator[bytes] | None = None
        if isinstance(data, bytes | bytearray):
            body = bytes(data)
            sent[0] = len(body)
        elif data is not None:
            body = _counted(data, sent)
        for _ in range(max_redirects + 1):
            if self.before_request is not None:
                self.before_request()
            started = time.perf_counter()
            with self._http_request(
                method, url, data=body, headers=send_headers, stream=True
            ) as response:
                try:
                    content = b"".join(response.iter_content(chunk_size=65536))
                except requests.RequestException as exc:
                    raise self._transport_error(method, url, exc) from exc
            elapsed_ms = (time.perf_counter() - started) * 1000
            exchange = self._record_transfer(
                response, content, None if data is None else sent[0], elapsed_ms
            )
            self._notify(exchange)
            location = response.headers.get("Location")
            if method != "GET" or response.status_code not in _REDIRECTS or not location:
                return exchange, content
            target = urljoin(url, location)
            if urlsplit(target).netloc != urlsplit(url).netloc:
                send_headers.pop(SESSION_HEADER, None)
            url = target
        return exchange, content

    def _record_transfer(
        self,
        response: requests.Response,
        content: bytes,
        sent: int | None,
        elapsed_ms: float,
    ) -> Exchange:
        redact = self.redactor.redact
        is_error = not 200 <= response.status_code < 300
        if is_error and len(content) <= TRANSFER_TEXT_LIMIT:
            text = redact(content.decode("utf-8", "replace"))
        elif content:
            text = f"[{len(content)} bytes of transferred content elided]"
        else:
            text = ""
        return Exchange(
            method=response.request.method or "",
            url=redact(response.request.url or ""),
            request_headers=self.redactor.redact_headers(dict(response.request.headers)),
            request_body=None if sent is None else f"[{sent} bytes of file content elided]",
            status=response.status_code,
            response_headers=self.redactor.redact_headers(dict(response.headers)),
            response_text=text,
            elapsed_ms=elapsed_ms,
            transfer=True,
        )

    def _notify(self, exchange: Exchange) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(exchange)

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = _NO_BODY,
        data: str | bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = False,
        basic_auth: bool = False,
        session_token: str | None = None,
    ) -> tuple[requests.Response, str | bytes | None, float]:
        url = self.base_url + path
        send_headers: dict[str, str] = {}
        body: str | bytes | None = None
        if json is not _NO_BODY:
            body = jsonlib.dumps(json)
        elif data is not None:
            body = data
        if method not in ("GET", "HEAD"):
            # The official runtime sends this on every non-GET request, body or not.
            send_headers["Content-Type"] = "application/json"
        if session_token is not None:
            send_headers[SESSION_HEADER] = session_token
        elif auth and self._token is not None:
            send_headers[SESSION_HEADER] = self._token
        if headers:
            send_headers.update(headers)
        basic = (self.user, self._password) if basic_auth else None
        if self.before_request is not None:
            self.before_request()
        started = time.perf_counter()
        response = self._http_request(
            method, url, data=body, params=params, headers=send_headers, auth=basic
        )
        return response, body, (time.perf_counter() - started) * 1000

    def _http_request(
        self,
        method: str,
        url: str,
        *,
        data: str | bytes | Iterator[bytes] | None,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """The one place the client sends a request, for API calls and transfers alike:
        the same TLS setting (pinned by the Session), timeout, redirect policy and errors."""
        try:
            return self._http.request(
                method,
                url,
                data=data,
                params=params,
                headers=headers,
                auth=auth,
                timeout=self.timeout,
                allow_redirects=False,
                stream=stream,
            )
        except requests.RequestException as exc:
            raise self._transport_error(method, url, exc) from exc
        except OSError as exc:  # requests: "Could not find a suitable TLS CA certificate bundle"
            raise self._transport_error(method, url, exc) from exc

    def _transport_error(
        self, method: str, url: str, exc: requests.RequestException | OSError
    ) -> TransportError:
        where = f"{method} {self.redactor.redact(url)}"
        if isinstance(exc, requests.Timeout):
            return RequestTimeout(f"{where}: no answer within {self.timeout:g} s")
        return TransportError(f"{where}: {self.redactor.redact(str(exc))}")

    def _finish(
        self,
        response: requests.Response,
        body: str | bytes | None,
        elapsed_ms: float,
        read: Callable[[Exchange], Exchange] | None = None,
    ) -> Exchange:
        exchange = self._record(response, body, elapsed_ms)
        if read is not None:
            exchange = read(exchange)
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(exchange)
        return exchange

    def _record(
        self, response: requests.Response, body: str | bytes | None, elapsed_ms: float
    ) -> Exchange:
        request = response.request
        if isinstance(body, bytes):
            body_text: str | None = body.decode("utf-8", "replace")
        else:
            body_text = body
        redact = self.redactor.redact
        return Exchange(
            method=request.method or "",
            url=redact(request.url or ""),
            request_headers=self.redactor.redact_headers(dict(request.headers)),
            request_body=redact(body_text) if body_text is not None else None,
            status=response.status_code,
            response_headers=self.redactor.redact_headers(dict(response.headers)),
            response_text=redact(response.text),
            elapsed_ms=elapsed_ms,
        )


def _as_is(exchange: Exchange) -> Exchange:
    return exchange


def _counted(chunks: Iterable[bytes], sent: list[int]) -> Iterator[bytes]:
    """Yield ``chunks``, adding their lengths to ``sent[0]`` (for the exchange's note)."""
    for chunk in chunks:
        sent[0] += len(chunk)
        yield chunk
