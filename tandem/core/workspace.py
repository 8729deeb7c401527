"""The workspace's settings (sender, postal address): what Settings → Mail saved, else the
environment's values. Read often (every campaign message), so kept a few seconds per process."""

import time
from email.utils import formataddr

from django.conf import settings
from django.db import transaction

from tandem.core import access, activity
from tandem.core.errors import Forbidden, Invalid
from tandem.core.models import Workspace

_cache: dict = {"at": 0.0, "value": None}
TTL = 5.0


def get() -> Workspace:
    if _cache["value"] is not None and time.monotonic() - _cache["at"] < TTL:
        return _cache["value"]
    workspace = Workspace.objects.order_by("pk").first() or Workspace()
    _cache.update(at=time.monotonic(), value=workspace)
    return workspace


def forget() -> None:
    _cache.update(at=0.0, value=None)


def save_fields(workspace: Workspace, *fields: str) -> None:
    """Save these fields (the whole row when the workspace has none yet), and read it again."""
    if workspace.pk is None:
        workspace.save()
    else:
        workspace.save(update_fields=[*fields, "updated_at"])
    forget()


def postal_address() -> str:
    return get().postal_address.strip() or settings.TANDEM_POSTAL_ADDRESS.strip()


def sender() -> str:
    workspace = get()
    if workspace.sender_email:
        return formataddr((workspace.sender_name, workspace.sender_email))
    return settings.DEFAULT_FROM_EMAIL


FIELDS = ("name", "sender_name", "sender_email", "postal_address")


@transaction.atomic
def update(*, actor, data: dict, via: str = "ui") -> Workspace:
    if not (access.is_admin(actor) or getattr(actor, "role", "") == "marketing_manager"):
        raise Forbidden("Admins and marketing managers set the mail settings.")
    data = {k: (v or "").strip() for k, v in data.items() if k in FIELDS}
    if "\n" in data.get("sender_name", "") or "\r" in data.get("sender_name", ""):
        raise Invalid("A sender name is one line.", field="sender_name")
    workspace = Workspace.objects.select_for_update().order_by("pk").first() or Workspace()
    changes = activity.apply_changes(workspace, data)
    if changes:
        workspace.save()
        activity.record(actor=actor, via=via, verb="settings_changed", target=workspace,
                        changes=changes)  # fmt: skip
        forget()
        transaction.on_commit(forget)
    return workspace
