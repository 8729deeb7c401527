from django.urls import path

from tandem.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.index, name="index"),
    path("funnel/", views.funnel, name="funnel"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/targets/", views.plan_target, name="plan_target"),
    path(
        "plans/<int:pk>/targets/<int:target_pk>/delete/",
        views.plan_target_delete,
        name="plan_target_delete",
    ),
    path("plans/<int:pk>/actions/", views.plan_action, name="plan_action"),
    path("budget/accept/", views.budget_accept, name="budget_accept"),
    path("budget/bounds/<int:program_id>/", views.budget_bound, name="budget_bound"),
    path("card/<slug:name>/", views.card, name="card"),
    path("r/<slug:name>/", views.report_page, name="report"),
    path("r/<slug:name>/drill/", views.drill, name="drill"),
]
