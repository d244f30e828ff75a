from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpResponseBadRequest
from django.utils.translation import gettext as _


def paginate(request, items, per_page: int, *, count: int | None = None) -> tuple[dict, HttpResponseBadRequest | None]:
    """The context of the requested page, or the answer to a page number that cannot be read.

    A page that is not a whole number is a 400; one past the last page is a 404. `count`, when the
    caller knows how many items there are, saves counting them again.
    """
    page_number = request.GET.get("page", "1")
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count  # a cached_property: set, it is not computed
    try:
        page = paginator.page(page_number)
    except PageNotAnInteger:
        return {}, HttpResponseBadRequest(_("The page number must be a whole number."))
    except EmptyPage:
        raise Http404(_("There is no page %(page)s of these results.") % {"page": page_number}) from None
    query = request.GET.copy()
    query.pop("page", None)
    return {"page_obj": page, "result_count": paginator.count, "query_without_page": query.urlencode()}, None
