"""Admins hold every key: they must turn on two-factor sign-in before doing anything else."""

from django.conf import settings
from django.shortcuts import redirect

from tandem.accounts.selectors import has_two_factors
from tandem.core import access

# what an admin without two factors may still open: the set-up itself, and the way out
OPEN = ("/accounts/2fa/", "/accounts/logout/", "/accounts/reauthenticate/", "/static/")


class AdminsUseTwoFactors:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.TANDEM_ADMIN_MFA_REQUIRED
            and user is not None
            and access.is_admin(user)
            and request.session.session_key
            and not request.path.startswith(OPEN)
            and not request.path.startswith("/api/")
            and not has_two_factors(user)
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)
