from django.conf import settings
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_http_methods

BODY = '{"items":[{"id":1,"name":"alpha"},{"id":2,"name":"beta"}]}'


@require_http_methods(["GET", "POST", "PUT"])
def items(request, scenario, item_id=None):
    resp = HttpResponse(BODY, content_type="application/json")
    resp["X-Total-Count"] = "2"
    if settings.SCENARIO == "no-preflight" and request.headers.get("Origin") == settings.PAGE:
        resp["Access-Control-Allow-Origin"] = settings.PAGE
        resp["Access-Control-Allow-Credentials"] = "true"
    return resp


urlpatterns = [
    path("<slug:scenario>/items", items),
    path("<slug:scenario>/items/<int:item_id>", items),
]
