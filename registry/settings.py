"""Settings for the registry, read from the environment.

DATABASE_URL  SQLite file in the project folder unless set (postgres://… for PostgreSQL)
SECRET_KEY    generated once into .secret_key when not set (set it in production)
DEBUG         off unless set to 1/true/yes/on
ALLOWED_HOSTS comma-separated; localhost only unless set
"""

import os
import secrets
from pathlib import Path

import dj_database_url
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
    "import_export",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "partners",
    "projects",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "registry.middleware.SiteLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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
            ],
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

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_flag("SECURE_COOKIES")
CSRF_COOKIE_SECURE = env_flag("SECURE_COOKIES")

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
    # Behind a reverse proxy, how many proxies add to X-Forwarded-For (API_PROXIES); 0 trusts only the
    # connection's address, so a client cannot pick another address by sending the header itself.
    "NUM_PROXIES": int(os.environ.get("API_PROXIES", "0")),
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

# The largest project sheet an editor may import, in bytes (IMPORT_MAX_MB in the environment).
IMPORT_MAX_BYTES = int(float(os.environ.get("IMPORT_MAX_MB", "10")) * 1024 * 1024)

# Import and export in the admin need their own permissions (given to the Editors group).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
