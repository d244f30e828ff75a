from django import template

from registry import sources

register = template.Library()


@register.filter
def public_sources(entries) -> list[dict]:
    """`{% for source in record.sources|public_sources %}`: each source's title, link and date read."""
    return sources.public_sources(entries)
