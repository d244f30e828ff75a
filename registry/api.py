"""The open-data API's pagination and rate limit (the API itself is projects/api.py). Apart from it
because DRF imports the classes its settings name while it defines its own views, which projects/api.py
imports in turn."""

from functools import partial

from django.core.paginator import Paginator
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

from registry.security import client_address


class AnonymousRateThrottle(AnonRateThrottle):
    """DRF's per-address throttle, reading its rate from the settings at each request rather than once at
    import time, so that the setting is the one place the rate comes from (a test can lower it)."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        # The address as the login's limit reads it (PROXY_COUNT), rather than DRF's NUM_PROXIES reading.
        return client_address(request)


class CountedPaginator(Paginator):
    """A paginator told how many items there are, by a caller that knows: it sends no COUNT."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count = count  # a cached_property: set, it is not computed


class Pagination(PageNumberPagination):
    """`page` and `page_size` (20 unless asked, at most 100); a number that cannot be read is a 400."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()
    invalid_page_message = _("There is no page {page_number} of these results.")
    page_query_description = _("The page of results, from 1.")
    page_size_query_description = _("Records per page: 20 unless asked, at most 100.")

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not value.isdigit() or not 1 <= int(value) <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Ask for 1 to %(most)s records per page.") % {"most": self.max_page_size}
                    ]
                }
            )
        return int(value)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters

    def get_paginated_response_schema(self, schema):
        # OpenAPI 3.1 (JSON Schema) spelling: DRF's own says "nullable", which 3.1 no longer reads.
        link = {"type": ["string", "null"], "format": "uri"}
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "minimum": 0, "description": _("Records matching, on every page.")},
                "next": {**link, "description": _("The next page's address; null on the last page.")},
                "previous": {**link, "description": _("The previous page's address; null on the first page.")},
                "results": schema,
            },
        }

    def paginate_queryset(self, queryset, request, view=None, *, count: int | None = None):
        """The page's items; `count`, when the caller knows how many items there are, saves counting them."""
        number = request.query_params.get(self.page_query_param, "1")
        if not number.isdigit() or int(number) < 1:
            raise ValidationError({self.page_query_param: [_("The page number must be a whole number from 1.")]})
        if count is not None:
            self.django_paginator_class = partial(CountedPaginator, count=count)
        return super().paginate_queryset(queryset, request, view)
