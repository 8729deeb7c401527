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
request goes to the full handler. tests/test_lean.py checks the two answer alike.
"""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler, get_path_info
from django.urls import resolve, reverse
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


class Handler(WSGIHandler):
    """Django's WSGI handler, but its chain is the view and the response shapers."""

    def __init__(self, view, kwarg: str):
        self.view, self.kwarg = view, kwarg
        super().__init__()

    def load_middleware(self, is_async=False):
        handler = convert_exception_to_response(lambda request: self._call_view(request))
        for path in reversed([p for p in settings.MIDDLEWARE if p in SHAPERS]):
            handler = convert_exception_to_response(import_string(path)(handler))
        self._middleware_chain = handler

    def _call_view(self, request):
        request.user = AnonymousUser()  # what the authentication middleware sets, no cookie read
        return self.view(request, **{self.kwarg: request.META[KEY]})


def route(app, name: str, methods: tuple[str, ...] = ("POST",)):
    """`app` with the URL named `name` (one argument, no slash in it) answered by the lean
    handler for `methods`."""
    path = reverse(name, args=[_MARK])
    prefix, suffix = path.split(_MARK)
    match = resolve(path)
    (kwarg,) = match.kwargs
    lean = Handler(match.func, kwarg)

    def application(environ, start_response):
        if environ.get("REQUEST_METHOD") in methods:
            path = get_path_info(environ)
            key = path[len(prefix) : len(path) - len(suffix)]
            if path.startswith(prefix) and path.endswith(suffix) and key and "/" not in key:
                environ[KEY] = key
                return lean(environ, start_response)
        return app(environ, start_response)

    return application
