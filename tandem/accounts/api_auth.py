from ninja.security import HttpBearer, SessionAuth

from tandem.accounts.services import user_for_token


class TokenAuth(HttpBearer):
    """`Authorization: Bearer tdm_…` with a personal token created on the Account page."""

    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None
