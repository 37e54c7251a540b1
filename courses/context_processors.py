from django.conf import settings
from django.http import HttpRequest


def tool(request: HttpRequest) -> dict[str, object]:
    """Values every page may show, and the nonce its inline scripts must carry."""
    return {
        "demo_mode": settings.DATAGEN_DEMO_MODE,
        "tool_name": "datagen-lti",
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }
