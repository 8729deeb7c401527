"""Settings: the index of what each role may set up, the workspace's mail settings with a test
send, and the audit of who changed which setting."""

from django import forms
from django.contrib import messages
from django.core.mail import send_mail
from django.shortcuts import redirect, render

from tandem.core import access, registry, workspace
from tandem.core.errors import DomainError, Forbidden
from tandem.core.models import TimelineEntry
from tandem.core.web import add_domain_error, guarded

SETTINGS_TARGETS = (
    "workspace",
    "pipeline",
    "stage",
    "team",
    "user",
    "territory",
    "scoringrule",
    "scoringconfig",
    "product",
    "pricebook",
    "pricebookentry",
    "discountpolicy",
    "customfield",
    "webhookendpoint",
)


@guarded
def index(request):
    sections = [s for s in registry.settings_sections() if s["allowed"](request.user)]
    if not sections:
        raise Forbidden("Your role has no settings to change; your own account is under Account.")
    return render(request, "core/settings_index.html", {"sections": sections})


class MailForm(forms.Form):
    name = forms.CharField(label="Workspace name", max_length=100, required=False)
    sender_name = forms.CharField(label="Sender name", max_length=100, required=False)
    sender_email = forms.EmailField(
        label="Sender email", required=False, help_text="Campaigns and notifications come from it."
    )
    postal_address = forms.CharField(
        label="Postal address",
        max_length=300,
        required=False,
        help_text="The law wants it in every campaign's footer.",
    )


def may_mail(user) -> bool:
    return access.is_admin(user) or getattr(user, "role", "") == "marketing_manager"


@guarded
def mail(request):
    if not may_mail(request.user):
        raise Forbidden("Admins and marketing managers set the mail settings.")
    current = workspace.get()
    initial = {f: getattr(current, f) for f in workspace.FIELDS}
    form = MailForm(request.POST or None, initial=initial)
    if request.method == "POST" and request.POST.get("test"):
        to = request.user.email
        if not to:
            messages.error(request, "Your account has no email address to send the test to.")
        else:
            send_mail(
                "Tandem: a test of your mail settings",
                f"It works: this came from {workspace.sender()}.\n\n--\n"
                f"{workspace.postal_address()}",
                workspace.sender(),
                [to],
            )
            messages.success(request, f"Test mail sent to {to}.")
        return redirect("settings:mail")
    if request.method == "POST" and form.is_valid():
        try:
            workspace.update(actor=request.user, data=form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Mail settings saved.")
            return redirect("settings:mail")
    context = {"form": form, "sender": workspace.sender(), "address": workspace.postal_address()}
    return render(request, "core/settings_mail.html", context)


@guarded
def audit(request):
    if not access.is_admin(request.user):
        raise Forbidden("The audit of settings is for admins.")
    entries = (
        TimelineEntry.objects.filter(target_type__in=SETTINGS_TARGETS)
        .select_related("actor")
        .order_by("-at", "-id")[:200]
    )
    return render(request, "core/settings_audit.html", {"entries": entries})
