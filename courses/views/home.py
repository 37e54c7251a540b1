from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from courses.selectors import tool_overview


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: what the tool is and where an administrator starts."""
    return render(
        request,
        "courses/home.html",
        {"overview": tool_overview(), "debug": settings.DEBUG},
    )
