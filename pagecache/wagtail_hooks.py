from django.http import QueryDict
from wagtail import hooks


# First, before any other hook or the page reads the query.
@hooks.register("before_serve_page", order=-100)
def serve_the_keyed_query(page, request, serve_args, serve_kwargs):
    """A page is rendered for the query its cache key holds (keys.py): a
    made-up parameter or value is the clean page, stored once under the
    clean page's key, never once per value."""
    query = getattr(request, "pagecache_query", None)
    if query is not None and query != request.META.get("QUERY_STRING", ""):
        request.META["QUERY_STRING"] = query
        request.GET = QueryDict(query)


# Late, after any hook that answers in the page's stead (a refused method, a
# hook of another app): only a page that is served is marked as one.
@hooks.register("before_serve_page", order=100)
def mark_page_served(page, request, serve_args, serve_kwargs):
    """The response to this request is a Wagtail page's, which the cache may
    keep (pagecache/middleware.py), with `page` for its Last-Modified."""
    request.pagecache_page = page
