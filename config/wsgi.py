import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    """Load at start what first requests would otherwise wait for: every view and the API
    schemas (the URLconf, 0.6 s) and scikit-learn, which reading the predictive score's model
    needs (1.1 s). A restarted process then answers its first request like its hundredth."""
    from django.urls import get_resolver, reverse

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    reverse("core:home")
    import sklearn.ensemble  # noqa: F401


_warm_up()

# The public form's POST skips the middlewares that read cookies or a user, and a script's
# JSON POST skips Django's request and response too (tandem.core.lean).
from tandem.core import lean  # noqa: E402
from tandem.marketing.public_views import form_express  # noqa: E402

application = lean.route(application, "public:form", express=form_express)
