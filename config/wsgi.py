import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    """Import every view now (the URLconf pulls in scipy, numpy, the search engine…) rather than in
    each worker's first request, which then took seconds. `plek serve` preloads this module, so the
    workers fork with it done; connections opened here are closed so no worker inherits one."""
    import networkx  # noqa: F401  (imported by the graph selector on its first call)
    from django.db import connections
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (the property imports the views)
    connections.close_all()


_warm_up()

# Everything loaded at start-up lives as long as the process: move it out of the collector's reach,
# so that full collections (tens of milliseconds with Django loaded) stay rare and short.
gc.freeze()
