from django.conf import settings
from django.core.checks import Error, register


@register(deploy=True)
def postal_address(app_configs, **kwargs):
    """Marketing email must carry the sender's postal address (CAN-SPAM and friends)."""
    if settings.TANDEM_POSTAL_ADDRESS.strip():
        return []
    return [
        Error(
            "TANDEM_POSTAL_ADDRESS is not set.",
            hint="Set it to the company's postal address; every marketing email shows it.",
            id="tandem.E001",
        )
    ]
