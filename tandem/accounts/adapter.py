"""django-allauth, as Tandem uses it: nobody signs up (an admin invites), and mail goes out
through the configured mailer with the workspace's sender."""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False
