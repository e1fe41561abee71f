import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Everything loaded at start-up lives as long as the process: move it out of the collector's reach,
# so that full collections (tens of milliseconds with Django loaded) stay rare and short.
gc.freeze()
