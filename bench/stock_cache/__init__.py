"""Stock Django page caching, for bench/page_render.py only: Wagtail's page
view under `cache_page` with Django's own Redis cache, the way the issue
measured it (0.28 of a static file). Installed by `bench.stock_cache.settings`
and nothing else."""
