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


@register(deploy=True)
def base_url(app_configs, **kwargs):
    """Links in email (tracking, unsubscribe, confirmation) need the site's public address."""
    url = settings.TANDEM_BASE_URL.strip()
    if url.startswith(("https://", "http://")):
        return []
    return [
        Error(
            "TANDEM_BASE_URL is not set to an http(s) address.",
            hint="Set it to the public address of this site, like https://crm.example.com.",
            id="tandem.E002",
        )
    ]
