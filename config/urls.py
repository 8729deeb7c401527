from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from config.api import api
from tandem.marketing import public_urls

# The Django admin signs in through the same door, with its rate limits and two factors.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", include("tandem.core.urls")),
    path("accounts/", include("tandem.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("settings/", include("config.settings_urls")),
    path("contacts/", include("tandem.contacts.urls")),
    path("marketing/", include("tandem.marketing.urls")),
    path("sales/", include("tandem.sales.urls")),
    path("handoff/", include("tandem.handoff.urls")),
    path("insights/", include("tandem.insights.urls")),
    path("transfer/", include("tandem.transfer.urls")),
    path("f/", include(public_urls.forms)),
    path("e/", include(public_urls.tracking)),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
