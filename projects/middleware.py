from .models.index import stamp_read_once


class IndexStampMiddleware:
    """A request reads the public index's stamp once, however many parts of its page ask for it (the list's cache
    key and its facets; an overview's figures, its map and its lists)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with stamp_read_once():
            return self.get_response(request)
