"""Helpers for the htmx pages: list rendering, form errors from domain errors."""

import uuid

from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode

from tandem.core.errors import DomainError, Forbidden, Invalid, NotFound
from tandem.core.models import IdempotencyKey


def add_domain_error(form, exc: DomainError) -> None:
    field = exc.field if exc.field in getattr(form, "fields", {}) else None
    form.add_error(field, exc.message)


def query_without(params: dict, *drop: str) -> str:
    return urlencode({k: v for k, v in params.items() if k not in drop and v not in ("", None)})


def render_list(request, template: str, page, extra: dict | None = None):
    """Full page, or only the results partial when htmx asks for it."""
    context = {
        "page": page,
        "params": page.params,
        "query_sortless": query_without(page.params, "sort", "page"),
        "query_pageless": query_without(page.params, "page"),
        **(extra or {}),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, f"{template}#results", context)
    return render(request, template, context)


def guarded(view):
    """Login required; domain errors become the same 404/403/400 pages everywhere."""

    @login_required
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404("Not found.") from None
        except Forbidden as exc:
            return render(request, "403.html", {"message": exc.message}, status=403)
        except Invalid as exc:
            return render(request, "core/error.html", {"message": exc.message}, status=400)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def save_form(request, form, save, template: str, context: dict):
    """Validate the form's shape, let the service apply the rules, redirect to the result."""
    key = (request.POST.get("idempotency_key") or "")[:64]
    if request.method == "POST" and key:
        done = IdempotencyKey.objects.filter(user=request.user, key=key).first()
        if done:
            return redirect(done.result_url)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                obj = save(form.cleaned_data)
                if key:
                    IdempotencyKey.objects.create(
                        user=request.user, key=key, result_url=obj.get_absolute_url()
                    )
            return redirect(obj.get_absolute_url())
        except DomainError as exc:
            add_domain_error(form, exc)
        except IntegrityError:
            done = IdempotencyKey.objects.filter(user=request.user, key=key).first()
            if done is None:
                raise
            return redirect(done.result_url)
    context.setdefault("idempotency_key", uuid.uuid4().hex)
    return render(request, template, {"form": form, **context})


def with_toast(response, text: str, undo: str = ""):
    """An htmx answer that also shows a toast (app.js listens for tandem:toast)."""
    import json

    response["HX-Trigger"] = json.dumps({"tandem:toast": {"value": text, "undo": undo}})
    return response


def next_url(request, default: str) -> str:
    """The page to go back to (?next= or a posted next), only when it is on this site."""
    from django.utils.http import url_has_allowed_host_and_scheme

    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if wanted and safe else default
