"""A hot public endpoint served without the middleware it has no use for (config/wsgi.py).

The public form's POST takes no cookies and acts for no user, yet Django's handler runs every
request through all sixteen middlewares: the session, CSRF, authentication, the account's and
its sessions', the admins' two factors, the time zone, messages, htmx, the API's errors and the
replica's. None of them has anything to do for a cookieless, anonymous POST; together with
the URL resolver they cost about 1 ms a submission on a slow machine (6.7 → 5.7 ms in-process).

`route()` answers one URL's chosen methods with the very view Django would run, through a
Django handler of its own (so: Django's request, exception handling and signals, the database
connection's life) whose chain holds only the middlewares that shape a response (security
headers, host and user-agent checks, frame options, the CSP), in the site's order. Every other
request goes to the full handler.

An `express` function may answer the commonest request of all, a script's urlencoded POST
that asks for JSON, without Django's request and response objects (a fifth of a submission's
CPU): it gets the fields (read from the body, as QueryDict reads them, only when it asks)
and gives back a status, a payload and its own headers; the shapers' headers are added as
learned from Django's own answer. Whatever is out of the ordinary (another host or content
type, an unknown key) goes to the handler above, and so does any exception (a body too large,
too many fields, a client gone, a failure): Django answers it as it would have, with its log.
tests/test_lean.py checks that all three answer alike.
"""

import json
from http.client import responses
from urllib.parse import parse_qsl

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signals
from django.core.exceptions import DisallowedHost, TooManyFieldsSent
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest, get_path_info, get_script_name
from django.http import JsonResponse
from django.urls import resolve, reverse, set_script_prefix
from django.utils.log import log_response
from django.utils.module_loading import import_string

# What a response needs from the site's middlewares; the others read cookies or a user.
SHAPERS = (
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
)
_MARK = "LEAN-KEY"
KEY = "tandem.lean_key"  # where the handler finds the URL's one argument
FAILED = "tandem.lean_failed"  # an express answer's exception, for Django to answer
FORM = "application/x-www-form-urlencoded"


class Handler(WSGIHandler):
    """Django's WSGI handler, but its chain is the view and the response shapers."""

    def __init__(self, view, kwarg: str):
        self.view, self.kwarg = view, kwarg
        super().__init__()

    def load_middleware(self, is_async=False):
        self._middleware_chain = self.shaped(lambda request: self._call_view(request))

    @staticmethod
    def shaped(view):
        """`view` behind the shapers, as Django's handler would run it."""
        handler = convert_exception_to_response(view)
        for path in reversed([p for p in settings.MIDDLEWARE if p in SHAPERS]):
            handler = convert_exception_to_response(import_string(path)(handler))
        return handler

    def _call_view(self, request):
        failed = request.META.pop(FAILED, None)
        if failed is not None:  # an express answer failed: Django logs and answers it
            raise failed
        request.user = AnonymousUser()  # what the authentication middleware sets, no cookie read
        return self.view(request, **{self.kwarg: request.META[KEY]})


class Express:
    """The express path: takes the request when it is a plain one, else leaves it to `lean`."""

    def __init__(self, view, lean: Handler):
        self.view, self.lean = view, lean
        self.shaped_headers: dict[bool, list] = {}  # by whether the request came over https

    def __call__(self, environ, start_response):
        if not self._plain(environ):
            return self.lean(environ, start_response)
        request = WSGIRequest(environ)
        try:
            request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware checks it
        except DisallowedHost:
            return self.lean(environ, start_response)
        set_script_prefix(get_script_name(environ))
        signals.request_started.send(sender=Handler, environ=environ)
        try:
            # The view reads the body only when it needs it, as Django's view does: an unknown
            # form or a refused attempt never waits for it.
            answer = self.view(environ[KEY], lambda: _fields(request), environ)
        except Exception as exc:  # noqa: BLE001 - Django answers it: its log, its 4xx or 500
            answer, environ[FAILED] = None, exc
        if answer is None:  # nothing done (an unknown form), or a failure: Django answers
            signals.request_finished.send(sender=Handler)
            return self.lean(environ, start_response)
        try:
            return self._respond(request, answer, start_response)
        finally:
            signals.request_finished.send(sender=Handler)

    @staticmethod
    def _plain(environ) -> bool:
        """A urlencoded UTF-8 POST asking for JSON, where no setting asks more of Django (a
        redirect to https, refused user agents, a www prefix)."""
        return (
            "application/json" in environ.get("HTTP_ACCEPT", "")
            and environ.get("CONTENT_TYPE", "").lower() in (FORM, f"{FORM}; charset=utf-8")
            and settings.DEFAULT_CHARSET.lower() in ("utf-8", "utf8")
            and not settings.SECURE_SSL_REDIRECT
            and not settings.DISALLOWED_USER_AGENTS
            and not settings.PREPEND_WWW
        )

    def _respond(self, request, answer, start_response):
        status, payload, headers = answer
        data = json.dumps(payload).encode()  # as JsonResponse writes it
        reason = responses.get(status, "Unknown Status Code")
        if status >= 400:  # logged as Django logs a refusal
            log_response("%s: %s", reason, request.path, response=_Logged(status),
                         request=request)  # fmt: skip
        start_response(
            f"{status} {reason}",
            [("Content-Type", "application/json"), *self._shapers(request),
             *headers.items(), ("Content-Length", str(len(data)))],
        )  # fmt: skip
        return [data]

    def _shapers(self, request) -> list:
        """The headers the shapers give a JSON answer, learned from their own answer to the
        first request over each scheme; they depend on nothing else in a JSON answer."""
        secure = request.is_secure()
        if secure not in self.shaped_headers:
            shaped = Handler.shaped(lambda r: JsonResponse({}))(request)
            self.shaped_headers[secure] = [
                (name, value) for name, value in shaped.items()
                if name not in ("Content-Type", "Content-Length")
            ]  # fmt: skip
        return self.shaped_headers[secure]


class _Logged:
    def __init__(self, status_code: int):
        self.status_code = status_code


def _fields(request) -> dict:
    """The POST's fields as request.POST.get reads them (the last of a repeated name), parsed
    as QueryDict parses them; a body over the limit, one that cannot be read and too many
    fields raise Django's own exceptions, which Django then answers."""
    body = request.body
    try:
        text = body.decode()
    except UnicodeDecodeError:  # as QueryDict reads a misbehaving client's body
        text = body.decode("iso-8859-1")
    try:
        pairs = parse_qsl(text, keep_blank_values=True,
                          max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)  # fmt: skip
    except ValueError as exc:
        raise TooManyFieldsSent(
            "The number of GET/POST parameters exceeded settings.DATA_UPLOAD_MAX_NUMBER_FIELDS."
        ) from exc
    return dict(pairs)


def route(app, name: str, methods: tuple[str, ...] = ("POST",), express=None):
    """`app` with the URL named `name` (one argument, no slash in it) answered by the lean
    handler for `methods`. `express(key, fields, environ)` may answer a plain JSON POST with
    (status, payload, headers), or None to leave it to the lean handler (it must have done
    nothing then); `fields()` reads and parses the body."""
    path = reverse(name, args=[_MARK])
    prefix, suffix = path.split(_MARK)
    match = resolve(path)
    (kwarg,) = match.kwargs
    lean = Handler(match.func, kwarg)
    serve = lean if express is None else Express(express, lean)

    def application(environ, start_response):
        if environ.get("REQUEST_METHOD") in methods:
            path = get_path_info(environ)
            key = path[len(prefix) : len(path) - len(suffix)]
            if path.startswith(prefix) and path.endswith(suffix) and key and "/" not in key:
                environ[KEY] = key
                return serve(environ, start_response)
        return app(environ, start_response)

    return application
