from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from django.urls import path

from tandem.marketing import public_views

forms = (
    [
        path("confirm/<str:token>", public_views.confirm, name="confirm"),
        path("<str:key>/", public_views.form_page, name="form"),
    ],
    "public",
)
tracking = (
    [
        path("o/<str:token>.gif", public_views.open_pixel, name="open"),
        path("c/<str:token>/<int:index>", public_views.click, name="click"),
        path("u/<str:token>", public_views.unsubscribe, name="unsubscribe"),
        # Bounces and complaints, signed by the mail provider (anymail verifies the signature).
        path(
            "webhooks/mailgun/tracking/",
            MailgunTrackingWebhookView.as_view(),
            name="mailgun_webhook",
        ),
    ],
    "track",
)
