from django.urls import path

from tandem.core import note_views, saved_filter_views, styleguide, views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("home/panels/<slug:name>", views.home_panel, name="home_panel"),
    path("search/", views.search, name="search"),
    path("palette/", views.palette, name="palette"),
    path("pick/<slug:kind>/", views.picker, name="picker"),
    path("pick/<slug:kind>/new", views.picker_new, name="picker_new"),
    path("notes/<str:target>/<int:pk>/new", note_views.note_new, name="note_new"),
    path("healthz", views.healthz, name="healthz"),
    path("livez", views.livez, name="livez"),
    path("styleguide/", styleguide.styleguide, name="styleguide"),
    path("styleguide/drawer", styleguide.styleguide_drawer, name="styleguide_drawer"),
    path("saved-filters/", saved_filter_views.create, name="saved_filter_create"),
    path("saved-filters/<int:pk>/delete", saved_filter_views.delete, name="saved_filter_delete"),
]
