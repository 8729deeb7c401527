"""What the public reaches without an account: hosted forms, the double opt-in confirmation,
and the links in campaign email (open pixel, click redirect, unsubscribe).

These endpoints take no cookies: a form posts cross-origin from a customer's site, and a mail
client's one-click unsubscribe posts with nothing but the token in the address.
"""

import base64
import ipaddress

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.csp import CSP
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tandem.core import ratelimit
from tandem.marketing import capture, selectors, tracking

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _form_csp(response):
    """The hosted form may end on an allow-listed host: the form-action must allow it."""
    scheme = "http" if settings.DEBUG else "https"
    hosts = [f"{scheme}://{h}" for h in settings.TANDEM_REDIRECT_HOSTS]
    response._csp_config = {**settings.SECURE_CSP, "form-action": [CSP.SELF, *hosts]}
    return response


def _form_context(form, outcome=None, request=None) -> dict:
    params = request.GET if request is not None else {}
    values = outcome.values if outcome else {f["name"]: "" for f in form.fields}
    hidden = {k: (params.get(k) or "")[:200] for k in capture.UTM_KEYS}
    hidden["referrer"] = (request.headers.get("Referer", "") if request else "")[:2000]
    if outcome is not None:
        hidden = {k: str(request.POST.get(k, ""))[:2000] for k in (*capture.UTM_KEYS, "referrer")}
    rows = [
        {**f, "value": values.get(f["name"], ""), "error": (outcome.errors if outcome else {})
         .get(f["name"]), "max": capture.max_length(f["name"])}
        for f in form.fields
    ]  # fmt: skip
    return {
        "form": form,
        "rows": rows,
        "hidden": hidden,
        "consent_checked": bool(outcome and outcome.values.get("consent")),
        "consent_error": (outcome.errors.get("consent") if outcome else None),
        "general_error": (outcome.errors.get("__all__") if outcome else None),
        "honeypot": capture.HONEYPOT,
    }


def _limited(meta) -> bool:
    """Every attempt counts against both limits, refused ones too."""
    ip = meta.get("REMOTE_ADDR") or "unknown"
    limits = {f"form-ip:{ip}": settings.TANDEM_FORM_RATE_PER_IP,
              "form-all": settings.TANDEM_FORM_RATE_GLOBAL}  # fmt: skip
    return not ratelimit.allow_all(limits, settings.TANDEM_FORM_RATE_WINDOW)


TOO_MANY = "Too many submissions just now. Please wait a minute and try again."


def _take(form, fields, meta) -> tuple[str, capture.Outcome | None]:
    """What a POST to the form comes to: "limited", "bot" (it looks accepted, stores nothing)
    or "taken" with the submission's outcome (accepted, or errors to fix). `fields()` gives
    the submitted fields; it is read after the attempt is counted (a body Django refuses
    counts too)."""
    if _limited(meta):
        return "limited", None
    post = fields()
    if post.get(capture.HONEYPOT):
        return "bot", None
    outcome = capture.submit(
        form, post, ip=_address(meta.get("REMOTE_ADDR")), referrer=meta.get("HTTP_REFERER", "")
    )
    return "taken", outcome


def _address(raw) -> str | None:
    """The client's IP address as the server gave it; None if it is not one (a proxy's
    misconfiguration), which the submission's inet column would refuse."""
    if not raw:
        return None
    try:
        ipaddress.ip_address(raw)
    except ValueError:
        return None
    return raw


def _redirect(form) -> str:
    redirect = form.redirect_url
    if redirect and not url_has_allowed_host_and_scheme(
        redirect, set(settings.TANDEM_REDIRECT_HOSTS), require_https=not settings.DEBUG
    ):
        return ""
    return redirect


def _json_answer(form, fields, meta) -> tuple[int, dict]:
    kind, outcome = _take(form, fields, meta)
    if kind == "limited":
        return 429, {"ok": False, "errors": {"__all__": TOO_MANY}}
    if outcome is not None and outcome.errors:
        return 422, {"ok": False, "errors": outcome.errors}
    return 200, {
        "ok": True,
        "message": form.thank_you,
        "redirect": _redirect(form),
        "pending_confirmation": bool(outcome and outcome.pending_confirmation),
    }


CORS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}


def form_express(key: str, fields, meta) -> tuple[int, dict, dict] | None:
    """A script's POST asking for JSON, answered without Django's request and response
    (core.lean's express path, config/wsgi.py): the answer form_page gives it. None when the
    form is unknown or closed: Django answers the 404."""
    form = selectors.form_public(key=key)
    if form is None:
        return None
    return (*_json_answer(form, fields, meta), CORS)


def _cors(response):
    for name, value in CORS.items():
        response[name] = value
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def form_page(request, key: str):
    form = selectors.form_public(key=key)
    if form is None:
        raise Http404("This form does not exist or is closed.")
    if request.method == "GET":
        return _form_csp(render(request, "public/form.html", _form_context(form, request=request)))
    if _wants_json(request):
        status, payload = _json_answer(form, lambda: request.POST, request.META)
        return _cors(JsonResponse(payload, status=status))
    kind, outcome = _take(form, lambda: request.POST, request.META)
    if kind == "limited":
        return render(request, "public/message.html", {"message": TOO_MANY}, status=429)
    if outcome is None or not outcome.errors:
        redirect = _redirect(form)
        if redirect:
            return HttpResponseRedirect(redirect, status=303)
        context = {"form": form, "pending": bool(outcome and outcome.pending_confirmation)}
        return render(request, "public/thanks.html", context)
    # The page again, with messages: a 200, as browsers expect of a re-rendered form.
    context = _form_context(form, outcome, request)
    return _form_csp(render(request, "public/form.html", context))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """GET only shows the page (mail scanners follow links); the POST from it confirms."""
    if request.method == "GET":
        submission = capture.confirmation_for(token)
        if submission is None:
            raise Http404("This confirmation link is not valid.")
        return render(request, "public/confirm.html", {"submission": submission})
    submission = capture.confirm(token)
    if submission is None:
        raise Http404("This confirmation link is not valid.")
    return render(
        request, "public/message.html", {"message": "Thank you, your subscription is confirmed."}
    )


@require_http_methods(["GET"])
def open_pixel(request, token: str):
    tracking.record_open(token)
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET"])
def click(request, token: str, index: int):
    url = tracking.record_click(token, index)
    if url is None:
        raise Http404("This link is not part of that email.")
    return HttpResponseRedirect(url)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """A one-click POST (RFC 8058) unsubscribes at once; a GET shows a page to confirm."""
    if request.method == "GET":
        recipient = tracking.recipient_for(token)
        if recipient is None:
            raise Http404("This unsubscribe link is not valid.")
        return render(request, "public/unsubscribe.html", {"recipient": recipient})
    if tracking.unsubscribe(token) is None:
        raise Http404("This unsubscribe link is not valid.")
    return render(
        request, "public/message.html", {"message": "You are unsubscribed. Sorry to see you go."}
    )
