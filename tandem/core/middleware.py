"""Errors under /api/ that Django answers before the API does (an unknown path, a method the
path does not take) come back in the API's JSON envelope, as every other API error."""

from django.http import JsonResponse

from tandem.core.api_support import error_body

_CODES = {404: ("not_found", "Not found."), 405: ("method_not_allowed", "Method not allowed.")}


class ApiErrorsAsJson:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code in _CODES
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code, message = _CODES[response.status_code]
            json_response = JsonResponse(error_body(code, message), status=response.status_code)
            if response.has_header("Allow"):
                json_response["Allow"] = response["Allow"]
            return json_response
        return response
