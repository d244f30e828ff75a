"""Settings for the registry, read from the environment (the README's "Deployment" lists every variable).

DJANGO_ENV    "development" (the default) or "production": production refuses to start without SECRET_KEY
              and ALLOWED_HOSTS, turns DEBUG off and serves over HTTPS only (redirect, HSTS, secure cookies)
DATABASE_URL  SQLite file in the project folder unless set (postgres://… for PostgreSQL)
SECRET_KEY    in development, generated once into .secret_key when not set
DEBUG         off unless set to 1/true/yes/on (never on in production)
ALLOWED_HOSTS comma-separated; localhost only unless set
"""

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def local_secret_key() -> str:
    # A development machine gets a random key that survives restarts (sessions stay valid);
    # production passes SECRET_KEY and never touches this file.
    path = BASE_DIR / ".secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development").strip().lower() or "development"
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV is {DJANGO_ENV!r}: write development or production.")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    # Nothing made up in production: a generated key would change with every new machine (and log everyone
    # out), and a missing host list would either refuse every request or, widened by hand, accept any Host.
    missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS") if not os.environ.get(name, "").strip()]
    if missing:
        raise ImproperlyConfigured(
            f"DJANGO_ENV=production needs {' and '.join(missing)} in the environment (see the README, Deployment)."
        )
    DEBUG = False
    SECRET_KEY = os.environ["SECRET_KEY"].strip()
else:
    DEBUG = env_flag("DEBUG")
    SECRET_KEY = os.environ.get("SECRET_KEY") or local_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    # For its country names in Italian and English (the admin's list of countries); it has no models.
    "django_countries",
    "import_export",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "simple_history",
    "registry",
    "partners",
    "projects",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "registry.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # The admin, outside the language prefixes, in the language its editor chose (Italian unless they did).
    "registry.middleware.AdminLanguageMiddleware",
    # Before anything reads the session or the request's data; after the language, so that the 400 page is in it.
    "registry.middleware.RejectNulCharactersMiddleware",
    "registry.routers.RouteReadsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "projects.middleware.IndexStampMiddleware",
    # After the others, so that its process_exception sees a view's database error first.
    "registry.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Logins are counted by django-axes (in the database, so that every process and machine sees the same
# counts): after LOGIN_FAILURE_LIMIT failures in a row for one account, or from one address, that account or
# address is refused for LOGIN_LOCKOUT_MINUTES, even with the right password. `manage.py axes_reset_username`
# and `axes_reset_ip` lift a lockout at once (the lockout page says so).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "registry.security.client_address"
AXES_LOCKOUT_CALLABLE = "registry.views.locked_out"

ROOT_URLCONF = "registry.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "registry.context_processors.language_links",
            ],
            # registry/ is the project package, not an installed app: its tag libraries are named here.
            "libraries": {
                "fragments": "registry.templatetags.fragments",
                "pictures": "registry.templatetags.pictures",
                "sources": "registry.templatetags.sources",
            },
        },
    },
]

WSGI_APPLICATION = "registry.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# A read replica of the primary (PostgreSQL streaming replication): visitors' pages read from it
# (registry.routers); editors, writes, sessions and logins use the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["registry.routers.PrimaryReplicaRouter"]
# The queries a list page sends with every view (its cards) are prepared on PostgreSQL, planned once per
# connection (projects.prepared). Off (0) behind a pooler that cannot keep prepared statements.
PREPARED_STATEMENTS = env_flag("PREPARED_STATEMENTS", default=True)

# The cache the list's pages and the API's rate limit are kept in: per process unless CACHE_URL names
# a shared one (redis://host:6379/0), which several processes and machines then share.
if os.environ.get("CACHE_URL"):
    if not os.environ["CACHE_URL"].startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("CACHE_URL must be a Redis URL: redis://host:6379/0")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CACHE_URL"],
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "registro"),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Rome"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGIN_URL = "admin:login"

# Public list pages: how many projects a page shows, and the most a visitor may ask for.
PROJECTS_PER_PAGE = 20
# How long a page of the project list (results and counts) is kept in the cache; any change to the
# public index makes a new key at once, so this only bounds the memory of pages nobody asks again.
LIST_CACHE_SECONDS = int(os.environ.get("LIST_CACHE_SECONDS", "600"))
# Corrections suggested from a project's page: how many one client address (registry.security.client_address,
# as the login's and the API's limits read it) may send in CORRECTION_RATE_WINDOW, counted in the default
# cache (per process unless CACHE_URL names a shared one); past it the form answers 429.
CORRECTION_RATE_LIMIT = int(os.environ.get("CORRECTION_RATE_LIMIT", "5"))
CORRECTION_RATE_WINDOW = timedelta(minutes=int(os.environ.get("CORRECTION_RATE_MINUTES", "60")))

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Production is served over HTTPS only. Each setting can be turned off from the environment (for a site
# still on plain HTTP behind a private network, say), and `check --deploy` then says what is missing.
SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", PRODUCTION)
# The health check answers over plain HTTP too: load balancers and process managers ask it from inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^health/$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_flag("SECURE_HSTS_PRELOAD", PRODUCTION)
SESSION_COOKIE_SECURE = env_flag("SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = env_flag("SECURE_COOKIES", PRODUCTION)
# The admin's language (registry.middleware), chosen with the switch in its header: no script reads it.
LANGUAGE_COOKIE_SECURE = env_flag("SECURE_COOKIES", PRODUCTION)
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Behind a reverse proxy that terminates TLS, the proxy says the request came over HTTPS with this header
# (it must set it, overwriting any the client sent); without one in front, set BEHIND_PROXY=0.
if env_flag("BEHIND_PROXY", PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of the site add to X-Forwarded-For: the client's address, for the login's and the
# API's rate limits, is read that many entries from the right. 0 trusts only the connection's own address, so
# that a client cannot pick another address by sending the header itself. (API_PROXIES is its older name.)
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", os.environ.get("API_PROXIES", "0")))
# The Content-Security-Policy and the other headers every response carries (registry.middleware).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# ISTAT's "Elenco comuni italiani" and the seed documents' transcription, both shipped in fixtures/.
ISTAT_MUNICIPALITIES_FILE = BASE_DIR / "fixtures" / "istat" / "Elenco-comuni-italiani.csv"
SEED_DIR = BASE_DIR / "fixtures" / "seed"

FILTERS_EMPTY_CHOICE_LABEL = _("All")


# The open-data API (/api/v1/, projects/api.py): read-only JSON, no browsable pages (they need inline
# scripts), no login (every request is anonymous, so none carries a session or needs CSRF).
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    # No OPTIONS description: anything but GET and HEAD is a 405.
    "DEFAULT_METADATA_CLASS": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "registry.api.Pagination",
    # Requests per client address (API_RATE in the environment: "120/minute", "5000/day"). The count is
    # kept in the default cache, which is per process unless CACHES says otherwise: with several
    # workers each counts on its own, so a client may make up to workers × the rate.
    "DEFAULT_THROTTLE_CLASSES": ["registry.api.AnonymousRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": os.environ.get("API_RATE", "120/minute")},
    # Behind a reverse proxy, the client's address is read from X-Forwarded-For (PROXY_COUNT, above, through
    # registry.security.client_address).
}

SPECTACULAR_SETTINGS = {
    "TITLE": _("Registry of migrant-inclusion projects: open-data API"),
    "DESCRIPTION": _(
        "The published projects of the registry, with their organisations, funders, programmes and "
        "municipalities, read-only. Project records have the keys of the JSON export, and projects take "
        "the same filters as the list page (/projects/). Lists are paginated (page, page_size up to 100)."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Docstrings are written for developers; what the schema says is written for it, and translated.
    "DISABLE_DOCSTRING_DESCRIPTIONS": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The reference page's assets come from drf-spectacular-sidecar, served by whitenoise: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: Swagger UI would fetch it from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "defaultModelsExpandDepth": 0},
    "ENUM_NAME_OVERRIDES": {
        "Role": "registry.enums.Role",
        "Status": "registry.enums.Status",
        "Theme": "registry.enums.Theme",
        "TargetGroup": "registry.enums.TargetGroup",
        "PartnerKind": "registry.enums.PartnerKind",
        "ProgrammeKind": "registry.enums.ProgrammeKind",
    },
}

# How much of a project sheet is ever read, whatever the file claims (projects.importing.sheets):
# its size (IMPORT_MAX_MB in the environment), the rows under its header and its columns, and what
# an XLSX workbook may unzip to (IMPORT_MAX_UNZIPPED_MB).
IMPORT_MAX_BYTES = int(float(os.environ.get("IMPORT_MAX_MB", "10")) * 1024 * 1024)
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "50000"))
IMPORT_MAX_COLUMNS = 200
IMPORT_MAX_UNZIPPED_BYTES = int(float(os.environ.get("IMPORT_MAX_UNZIPPED_MB", "100")) * 1024 * 1024)
# How long an import waits for another to finish (the admin's well within gunicorn's timeout; the command
# has its own --wait).
IMPORT_LOCK_WAIT_SECONDS = float(os.environ.get("IMPORT_LOCK_WAIT_SECONDS", "15"))

# The largest change set the admin undoes within a request (about 4.3 ms a project at 100,000 projects, so
# 2,000 take about 9 s, well inside gunicorn's timeout); a larger one is undone with `undo_changeset`.
UNDO_IN_ADMIN_AT_MOST = int(os.environ.get("UNDO_IN_ADMIN_AT_MOST", "2000"))

# An admin upload waits here between its preview and its confirmation (projects.uploads); one left
# unconfirmed is removed after IMPORT_UPLOAD_MAX_HOURS, at the next upload or by purge_import_uploads.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "projects.uploads.ImportUploadStorage"
IMPORT_UPLOAD_DIR = Path(os.environ.get("IMPORT_UPLOAD_DIR") or Path(tempfile.gettempdir()) / "registry-imports")
IMPORT_UPLOAD_MAX_AGE = timedelta(hours=float(os.environ.get("IMPORT_UPLOAD_MAX_HOURS", "6")))

# Import and export in the admin need their own permissions (given to the Editors group).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
