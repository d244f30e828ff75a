from django.db import models


class WebsiteField(models.URLField):
    """A URL field whose form takes an address typed without a scheme as https (Django 6's default)."""

    def formfield(self, **kwargs):
        kwargs.setdefault("assume_scheme", "https")
        return super().formfield(**kwargs)
