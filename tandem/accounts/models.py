import hashlib

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone

from tandem.core.roles import FUNCTION_OF, Function, Role


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    function = models.CharField(max_length=10, choices=Function.choices)
    manager = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )

    def __str__(self) -> str:
        return self.name


class TandemUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """`createsuperuser` makes an admin of the product, not only of the Django admin."""
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.SALES_REP)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    capacity = models.PositiveSmallIntegerField(
        default=100, help_text="Relative share of routed leads (round robin weight)."
    )
    invited_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(
        max_length=64, blank=True, default="", help_text="Blank: the workspace's time zone."
    )

    objects = TandemUserManager()

    @property
    def function(self) -> str:
        return FUNCTION_OF.get(self.role, Function.ADMIN)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def __str__(self) -> str:
        return self.display_name


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def credential_tag(user) -> str:
    """A short digest of the user's password hash: it changes with every new password (the
    hash is salted), so a token minted before a password change stops working."""
    return hashlib.sha256(f"tandem-token:{user.password}".encode()).hexdigest()[:16]


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the raw value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    credential = models.CharField(
        max_length=16, default="", help_text="credential_tag of the user when it was made."
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        if self.credential != credential_tag(self.user):
            return "void: the password changed"
        return "active"
