from wagtail import hooks


# Late, after any hook that answers in the page's stead (a refused method, a
# hook of another app): only a page that is served is marked as one.
@hooks.register("before_serve_page", order=100)
def mark_page_served(page, request, serve_args, serve_kwargs):
    """The response to this request is a Wagtail page's, which the cache may
    keep (pagecache/middleware.py), with `page` for its Last-Modified."""
    request.pagecache_page = page
