"""Settings → Webhooks: the endpoints, the events each hears, and every delivery."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tandem.core import webhooks, workspace
from tandem.core.errors import DomainError, Forbidden
from tandem.core.models import WebhookDelivery, WebhookEndpoint
from tandem.core.web import add_domain_error, guarded

EVENT_CHOICES = [(e, e) for e in webhooks.EVENT_TYPES]


class EndpointForm(forms.Form):
    url = forms.URLField(max_length=500, label="URL", assume_scheme="https")
    description = forms.CharField(max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=EVENT_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event.",
    )  # fmt: skip


def _require(request) -> None:
    if not webhooks.may_manage(request.user):
        raise Forbidden("Admins manage webhooks.")


@guarded
def webhooks_page(request):
    _require(request)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and request.POST.get("form") == "private":
        ws = workspace.get()
        ws.webhooks_allow_private = request.POST.get("allow") == "1"
        workspace.save_fields(ws, "webhooks_allow_private")
        messages.success(request, "Saved.")
        return redirect("settings:webhooks")
    if request.method == "POST" and form.is_valid():
        try:
            made = webhooks.endpoint_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Webhook added: copy its signing secret now.")
            return redirect("settings:webhook", pk=made.pk)
    context = {
        "form": form,
        "endpoints": WebhookEndpoint.objects.order_by("-created_at"),
        "allow_private": workspace.get().webhooks_allow_private,
    }
    return render(request, "core/settings_webhooks.html", context)


@guarded
def webhook_page(request, pk: int):
    _require(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    if request.method == "POST":
        try:
            if request.POST.get("delete"):
                webhooks.endpoint_delete(actor=request.user, endpoint=endpoint)
                messages.success(request, "Webhook removed.")
                return redirect("settings:webhooks")
            active = request.POST.get("active") == "1"
            webhooks.endpoint_update(actor=request.user, endpoint=endpoint,
                                     data={"active": active})  # fmt: skip
            messages.success(request, "Enabled." if active else "Disabled.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("settings:webhook", pk=pk)
    deliveries = endpoint.deliveries.order_by("-created_at", "-pk")[:100]
    return render(request, "core/settings_webhook.html",
                  {"endpoint": endpoint, "deliveries": deliveries})  # fmt: skip


@require_POST
@guarded
def webhook_resend(request, pk: int):
    _require(request)
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    try:
        webhooks.send_again(actor=request.user, delivery=delivery)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "It will be sent again in a moment.")
    return redirect("settings:webhook", pk=delivery.endpoint_id)
