from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from plek.atlas import selectors
from plek.atlas.permissions import viewer_for


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "atlas/home.html", selectors.home_overview(viewer_for(request.user)))
