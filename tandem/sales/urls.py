from django.urls import path

from tandem.sales import (
    activity_views,
    forecast_views,
    partner_views,
    pricing_views,
    quick_views,
    views,
)

app_name = "sales"
urlpatterns = [
    path("opportunities/", views.opportunities, name="opportunities"),
    path("board/", views.board, name="board"),
    path("opportunities/bulk", views.opportunities_bulk, name="opportunities_bulk"),
    path("opportunities/export", views.opportunities_export, name="opportunities_export"),
    path("opportunities/new", views.opportunity_new, name="opportunity_new"),
    path("opportunities/<int:pk>/", views.opportunity, name="opportunity"),
    path("opportunities/<int:pk>/edit", views.opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:pk>/move", views.opportunity_move, name="opportunity_move"),
    path("opportunities/<int:pk>/log", views.activity_log, name="activity_log"),
    path("opportunities/<int:pk>/objections", views.objection_add, name="objection_add"),
    path("opportunities/<int:pk>/contacts", views.contact_add, name="contact_add"),
    path(
        "opportunities/<int:pk>/contacts/<int:person_id>/remove",
        views.contact_remove,
        name="contact_remove",
    ),
    path("opportunities/<int:pk>/competitors", views.competitor_add, name="competitor_add"),
    path("opportunities/<int:pk>/lines", pricing_views.line_add, name="line_add"),
    path("discounts/<int:request_id>/decide", pricing_views.decide, name="discount_decide"),
    path("pricing/", pricing_views.pricing_page, name="pricing"),
    path("my-day/", activity_views.my_day, name="my_day"),
    path("partners/", partner_views.partner_list, name="partners"),
    path("opportunities/<int:pk>/registration", partner_views.register, name="register"),
    path("forecast/", forecast_views.forecast_page, name="forecast"),
    path("commissions/", forecast_views.commission_page, name="commissions"),
    path("activity-mix/", activity_views.activity_mix, name="activity_mix"),
    path("territories/", activity_views.territories, name="territories"),
    path("activities/<int:pk>/invite.ics", activity_views.invite_ics, name="invite_ics"),
    path("activities/<int:pk>/invite", activity_views.invite_email, name="invite_email"),
    path("activities/", views.activities, name="activities"),
    path("log/<str:target>/<int:pk>/<str:kind>", quick_views.log, name="log"),
    path("activities/<int:pk>/", views.activity, name="activity"),
    path("activities/<int:pk>/done", views.activity_done, name="activity_done"),
]
