"""registry.widgets: the widgets written in Python write what Django's own widgets write through their templates."""

import re

import pytest
from django import forms

from partners.filters import PartnerFilter
from partners.models import Partner
from registry.widgets import OptionsSelect, PlainTextInput

CHOICES = [("", "---------"), ("a", 'Virgolette " e <tag> & altro'), ("b", "Èlite d'Italia"), (3, "tre")]
ATTRIBUTES = {"id": "id_kind", "aria-invalid": "true", "aria-describedby": "id_kind_error", "required": True}


def between_tags(html: str) -> str:
    """The markup without the line breaks and indents Django's select template puts between its options."""
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("value", [None, "", "a", "b", 3, "3", "not-offered"])
def test_options_select_writes_what_djangos_select_writes(value):
    ours = OptionsSelect(choices=CHOICES).render("kind", value, {**ATTRIBUTES, "disabled": False})
    django = forms.Select(choices=CHOICES).render("kind", value, {**ATTRIBUTES, "disabled": False})
    assert ours == between_tags(django)


@pytest.mark.parametrize("value", [None, "", 'a "b" <c> & d'])
def test_plain_text_input_writes_what_djangos_text_input_writes(value):
    attrs = {
        "id": "id_q",
        "maxlength": "200",
        "aria-invalid": "true",
        "aria-describedby": "id_q_error",
        "disabled": False,
    }
    assert PlainTextInput().render("q", value, attrs) == forms.TextInput().render("q", value, attrs)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", [{}, {"q": 'Cooperativa "Il <Ponte>"', "kind": "company"}, {"kind": "unknown", "role": "sponsor"}]
)
def test_the_organisations_filters_are_written_as_djangos_widgets_write_them(query):
    """Each field of the organisations' form, with its value, its errors and the attributes they add (aria-invalid,
    aria-describedby), as Django's Select and TextInput write it."""
    partner_filter = PartnerFilter(query or None, queryset=Partner.objects.all())
    if query:  # an unbound form is drawn with no value and no error
        assert partner_filter.is_valid() == ("role" not in query)
    for field in partner_filter.form:
        if isinstance(field.field.widget, OptionsSelect):
            django = forms.Select(choices=field.field.choices)
        else:
            assert isinstance(field.field.widget, PlainTextInput)
            django = forms.TextInput(attrs=field.field.widget.attrs)
        assert str(field) == between_tags(field.as_widget(widget=django))
        assert ("aria-invalid" in str(field)) == bool(field.errors)
