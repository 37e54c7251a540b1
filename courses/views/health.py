from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from courses.services.system import check_cache, check_database, check_queue


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """JSON naming the database, cache and queue reached; 503 when one is down."""
    checks = {"database": check_database(), "cache": check_cache(), "queue": check_queue()}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )
