from django.urls import path

from tandem.transfer import views

app_name = "transfer"
urlpatterns = [
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.job, name="job"),
    path("imports/<int:pk>/cancel", views.cancel, name="cancel"),
    path("imports/<int:pk>/resume", views.resume, name="resume"),
    path("imports/<int:pk>/undo", views.undo, name="undo"),
    path("imports/<int:pk>/errors.csv", views.errors, name="errors"),
]
