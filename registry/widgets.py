"""Form widgets written in Python, as Django's templates write them: the public lists' filter forms are drawn on
every first view of a page, and Django's templates for each option, attribute and input cost milliseconds there
(on the project list, more than the database takes to answer it). Both apps' filter forms use them."""

from html import escape

from django import forms
from django.utils.safestring import mark_safe

SELECTED = " selected"


def written_attributes(attrs: dict) -> str:
    """A widget's attributes as Django's template writes them (django/forms/widgets/attrs.html): in their order,
    True as a bare name, False (and None, as flatatt does) left out. flatatt also sorts them and formats each
    through format_html: 3 times slower for the same markup."""
    return "".join(
        f" {escape(key)}" if value is True else f' {escape(key)}="{escape(str(value))}"'
        for key, value in attrs.items()
        if value is not False and value is not None
    )


class OptionsSelect(forms.Select):
    """A select rendered in Python: the project list's selects hold hundreds of options with their counts, and
    Django's template for each option costs more than the database does to count them."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        chosen = "" if value is None else str(value)
        # html.escape, not format_html: the same escaping (quotes included), a tenth of the time per option.
        options = "".join(
            f'<option value="{escape(str(key))}"{SELECTED if str(key) == chosen else ""}>{escape(str(label))}</option>'
            for key, label in self.choices
        )
        return mark_safe(f'<select name="{escape(name)}"{written_attributes(attrs)}>{options}</select>')

    def offer(self, pairs: list[tuple[str, str]]) -> None:
        """Offer these (value, label) pairs as they are: setting `choices` normalises each pair again, which for
        the hundreds a page offers took longer than counting them."""
        self._choices = pairs


class PlainTextInput(forms.TextInput):
    """A text input rendered in Python, as Django's template writes it: through the templates, the search box
    alone took 0.45 ms of every list page."""

    def render(self, name, value, attrs=None, renderer=None):
        value = self.format_value(value)
        shown = "" if value is None else f' value="{escape(str(value))}"'
        attrs = written_attributes(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<input type="{self.input_type}" name="{escape(name)}"{shown}{attrs}>')
