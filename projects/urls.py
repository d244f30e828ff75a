from django.urls import path

from . import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("export.json", views.project_export_json, name="export-json"),
    path("export.csv", views.project_export_csv, name="export-csv"),
    path("<slug:slug>/", views.project_detail, name="detail"),
    path("<slug:slug>/correction/", views.project_correction, name="correction"),
    path("<slug:slug>/correction/sent/", views.project_correction_sent, name="correction-sent"),
]
