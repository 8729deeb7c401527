from django.urls import path

from tandem.transfer import dedupe_views, views

app_name = "transfer"
urlpatterns = [
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.job, name="job"),
    path("imports/<int:pk>/cancel", views.cancel, name="cancel"),
    path("imports/<int:pk>/resume", views.resume, name="resume"),
    path("imports/<int:pk>/undo", views.undo, name="undo"),
    path("imports/<int:pk>/errors.csv", views.errors, name="errors"),
    path("duplicates/", dedupe_views.queue, name="duplicates"),
    path("duplicates/scan", dedupe_views.scan, name="duplicates_scan"),
    path("duplicates/<int:pk>/", dedupe_views.pair, name="pair"),
    path("duplicates/<int:pk>/dismiss", dedupe_views.dismiss, name="dismiss"),
]
