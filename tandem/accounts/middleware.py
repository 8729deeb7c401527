"""Request-wide account rules: admins must turn on two-factor sign-in before doing anything
else; times are shown in the user's own time zone."""

import zoneinfo

from django.conf import settings
from django.shortcuts import redirect
from django.utils import timezone

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


class UserTimeZone:
    """Dates and times are shown in the signed-in user's time zone, else the workspace's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        zone = getattr(user, "time_zone", "") if user is not None else ""
        if zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)
