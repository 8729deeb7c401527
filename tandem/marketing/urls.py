from django.urls import path

from tandem.marketing import campaign_views, form_views, segment_views, views

app_name = "marketing"
urlpatterns = [
    path("programs/", views.programs, name="programs"),
    path("programs/new", views.program_new, name="program_new"),
    path("programs/<int:pk>/", views.program, name="program"),
    path("programs/<int:pk>/edit", views.program_edit, name="program_edit"),
    path("programs/<int:pk>/costs", views.program_cost, name="program_cost"),
    path("forms/", form_views.forms_list, name="forms"),
    path("forms/new", form_views.form_new, name="form_new"),
    path("forms/<int:pk>/", form_views.form_detail, name="form"),
    path("forms/<int:pk>/edit", form_views.form_edit, name="form_edit"),
    path("segments/", segment_views.segments_list, name="segments"),
    path("segments/new", segment_views.segment_new, name="segment_new"),
    path("segments/count", segment_views.segment_count, name="segment_count"),
    path("segments/<int:pk>/size", segment_views.segment_size, name="segment_size"),
    path("segments/row", segment_views.segment_row, name="segment_row"),
    path("segments/<int:pk>/", segment_views.segment_detail, name="segment"),
    path("segments/<int:pk>/edit", segment_views.segment_edit, name="segment_edit"),
    path("segments/<int:pk>/export.csv", segment_views.segment_export, name="segment_export"),
    path("campaigns/", campaign_views.campaigns_list, name="campaigns"),
    path("campaigns/new", campaign_views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", campaign_views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/audience", campaign_views.campaign_audience, name="campaign_audience"),
    path("campaigns/<int:pk>/edit", campaign_views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/send", campaign_views.campaign_send, name="campaign_send"),
    path("campaigns/<int:pk>/cancel", campaign_views.campaign_cancel, name="campaign_cancel"),
    path(
        "campaigns/<int:pk>/pick-winner",
        campaign_views.campaign_pick_winner,
        name="campaign_pick_winner",
    ),
    path("campaigns/<int:pk>/test", campaign_views.campaign_test, name="campaign_test"),
    path("suppressions/", campaign_views.suppressions, name="suppressions"),
]
