"""Django + django-cors-headers. Its settings are global to a process, so each
scenario runs as its own process: CORS_SCENARIO selects one.

Run: CORS_SCENARIO=correct /usr/bin/python3 -m django runserver \
         127.0.0.1:PORT --noreload --settings=settings --pythonpath=DIR
"""
import os

SCENARIO = os.environ.get("CORS_SCENARIO", "correct")
PAGE = "http://localhost:8080"

SECRET_KEY = "corsvcr-stack-test-only"
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
ROOT_URLCONF = "urls"
USE_TZ = True
INSTALLED_APPS = ["corsheaders"]
MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
]

CORS_ALLOWED_ORIGINS = [PAGE]
CORS_ALLOW_METHODS = ["GET", "POST", "PUT"]
CORS_ALLOW_HEADERS = ["content-type", "x-client-version"]
CORS_EXPOSE_HEADERS = ["X-Total-Count"]
CORS_ALLOW_CREDENTIALS = True

if SCENARIO == "wildcard-credentials":
    CORS_ALLOWED_ORIGINS = []
    CORS_ALLOW_ALL_ORIGINS = True
elif SCENARIO == "origin-not-allowed":
    CORS_ALLOWED_ORIGINS = ["http://localhost:3000"]
elif SCENARIO == "method-not-allowed":
    CORS_ALLOW_METHODS = ["GET", "POST"]
elif SCENARIO == "header-not-allowed":
    CORS_ALLOW_HEADERS = ["content-type"]
elif SCENARIO == "no-expose":
    CORS_EXPOSE_HEADERS = []
elif SCENARIO == "no-credentials":
    CORS_ALLOW_CREDENTIALS = False
elif SCENARIO == "no-preflight":
    # The common mistake: no corsheaders middleware, the header set by hand
    # in the view (see urls.py); Django answers OPTIONS 405.
    INSTALLED_APPS = []
    MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
elif SCENARIO != "correct":
    raise ValueError(f"unknown CORS_SCENARIO {SCENARIO!r}")
