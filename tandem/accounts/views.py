from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tandem.accounts import selectors, services
from tandem.core.errors import DomainError
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
    tokens = selectors.tokens_of(user=request.user)
    return render(
        request, "accounts/account.html", {"form": form, "tokens": tokens, "new_key": new_key}
    )


@require_POST
@guarded
def revoke_token(request, token_id: int):
    services.api_token_revoke(actor=request.user, token_id=token_id)
    messages.success(request, "Token revoked.")
    return redirect("accounts:account")
