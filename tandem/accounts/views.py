from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tandem.accounts import selectors, services, users
from tandem.core.errors import DomainError, NotFound
from tandem.core.web import add_domain_error, guarded


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Token name")
    expires_in_days = forms.TypedChoiceField(
        label="Expires",
        coerce=int,
        empty_value=None,
        required=False,
        initial="90",
        choices=[("30", "in 30 days"), ("90", "in 90 days"), ("365", "in a year"), ("", "never")],
    )


class PreferencesForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        help_text="Dates and times everywhere in Tandem are shown in this zone.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [("", f"The workspace's ({settings.TIME_ZONE})")] + [
            (z, z.replace("_", " ")) for z in users.time_zones()
        ]


@require_POST
@guarded
def preferences(request):
    form = PreferencesForm(request.POST)
    if form.is_valid():
        users.preferences_update(actor=request.user, time_zone=form.cleaned_data["time_zone"])
        messages.success(request, "Preferences saved.")
    else:
        messages.error(request, "Choose a time zone from the list.")
    return redirect("accounts:account")


@guarded
def account(request):
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_key = services.api_token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
            form = TokenForm()
        except DomainError as exc:
            add_domain_error(form, exc)
    context = {
        "form": form,
        "preferences": PreferencesForm(initial={"time_zone": request.user.time_zone}),
        "tokens": selectors.tokens_of(user=request.user),
        "new_key": new_key,
        "two_factors": selectors.has_two_factors(request.user),
    }
    return render(request, "accounts/account.html", context)


@require_POST
@guarded
def revoke_token(request, token_id: int):
    services.api_token_revoke(actor=request.user, token_id=token_id)
    messages.success(request, "Token revoked.")
    return redirect("accounts:account")


@require_POST
@guarded
def logout_everywhere(request):
    users.log_out_everywhere(request=request)
    messages.success(request, "Every other session is signed out.")
    return redirect("accounts:account")


class AcceptForm(forms.Form):
    password1 = forms.CharField(label="Choose a password", widget=forms.PasswordInput)
    password2 = forms.CharField(label="The same again", widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


def accept(request, token: str):
    """An invitation's link: set a password (which proves the address) and come in."""
    try:
        invited = users.invited_user(token)
    except NotFound:
        return render(request, "accounts/accept.html", {"bad_link": True}, status=404)
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = users.invitation_accept(token=token, password=form.cleaned_data["password1"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to Tandem, {user.display_name}.")
            return redirect("core:home")
    return render(request, "accounts/accept.html", {"form": form, "invited": invited})
