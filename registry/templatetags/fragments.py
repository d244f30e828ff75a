"""Parts of every page that are the same for every visitor in a language: written once per process and language.

The header's links and the footer took 0.5 ms of every page's first view, written again each time through the
template engine for the same text (`{% url %}` and `{% translate %}` twenty times over).
"""

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

_written: dict[tuple[str, str, str], SafeString] = {}


@register.simple_tag
def same_on_every_page(template_name: str) -> SafeString:
    """`{% same_on_every_page "includes/footer.html" %}`: that template, which reads nothing of the request or
    the page, as written for the current language (written each time while DEBUG is on, to show edits at once)."""
    key = (template_name, get_language(), get_script_prefix())
    html = _written.get(key)
    if html is None:
        html = mark_safe(render_to_string(template_name))
        if not settings.DEBUG:
            _written[key] = html
    return html


@receiver(setting_changed)
def forget_written(**kwargs) -> None:
    """A test that changes the languages, the URLs or the templates gets them written again."""
    _written.clear()
