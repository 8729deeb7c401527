"""Money is a Decimal amount with an ISO 4217 currency, never a float."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

currency_validator = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO currency code.")


def amount_field(**kwargs) -> models.DecimalField:
    kwargs.setdefault("default", Decimal("0"))
    return models.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def currency_field() -> models.CharField:
    return models.CharField(max_length=3, default=default_currency, validators=[currency_validator])


def default_currency() -> str:
    return settings.TANDEM_DEFAULT_CURRENCY


def non_negative(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=models.Q(**{f"{field}__gte": 0}), name=name)
