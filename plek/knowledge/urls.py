from django.urls import path

from plek.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("zoeken/", views.search_page, name="search"),
    path("zoeken/vectoren/", views.vectors_page, name="vectors"),
    path("zoeken/vectoren/bijwerken/", views.vectors_start, name="vectors_start"),
    path("zoeken/vectoren/stoppen/", views.vectors_cancel, name="vectors_cancel"),
    path("kennis/", views.item_list, name="list"),
    path("kennis/nieuw/", views.item_edit, name="create"),
    path("kennis/<slug:slug>/", views.item_detail, name="detail"),
    path("kennis/<slug:slug>/bewerken/", views.item_edit, name="edit"),
    path("kennis/<slug:slug>/verwijderen/", views.item_delete, name="delete"),
    path("kennis/<slug:slug>/bijlagen/<int:pk>/", views.attachment_download, name="attachment"),
    path(
        "kennis/<slug:slug>/bijlagen/<int:pk>/verwijderen/", views.attachment_remove, name="attachment_delete"
    ),
    path("kennis/<slug:slug>/geschiedenis/", views.item_history, name="history"),
]
