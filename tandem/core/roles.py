"""The roles of DOMAIN.md and the function each belongs to."""

from django.db import models


class Role(models.TextChoices):
    MARKETER = "marketer", "Marketer"
    MARKETING_MANAGER = "marketing_manager", "Marketing manager"
    SALES_REP = "sales_rep", "Sales rep"
    SALES_MANAGER = "sales_manager", "Sales manager"
    ADMIN = "admin", "Admin"


class Function(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"
    ADMIN = "admin", "Admin"


FUNCTION_OF = {
    Role.MARKETER: Function.MARKETING,
    Role.MARKETING_MANAGER: Function.MARKETING,
    Role.SALES_REP: Function.SALES,
    Role.SALES_MANAGER: Function.SALES,
    Role.ADMIN: Function.ADMIN,
}

MARKETING_ROLES = (Role.MARKETER, Role.MARKETING_MANAGER)
SALES_ROLES = (Role.SALES_REP, Role.SALES_MANAGER)
