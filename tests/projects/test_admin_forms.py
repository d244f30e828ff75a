"""The admin's forms for a project's countries and for the sources of projects and organisations
(projects/forms.py ProjectAdminForm, partners/forms.py, registry/fields.py SourcesField): chosen by name and
typed in rows, stored as the JSON lists they always were.

The forms are sent as a browser sends them: every input, select and text area of the page as it was
rendered (tests read the page, not the form's Python objects), with the changes a test makes.
"""

import json
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.test import Client

from partners.models import Partner
from projects.models import Funder, Programme, Project
from tests.factories import MARKER, make_partner, make_project, make_territory, word

pytestmark = pytest.mark.django_db

PROJECTS = "/admin/projects/project/"
PARTNERS = "/admin/partners/partner/"


class FormReader(HTMLParser):
    """The data a browser sends for the form with id `form_id`: text and hidden inputs, checked boxes, the
    selected options (a single select with none selected sends its first) and text areas (line breaks as
    CRLF, as browsers send them)."""

    SKIPPED = {"submit", "button", "file", "image", "reset"}

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self.select: dict | None = None
        self.textarea: dict | None = None

    def add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or attrs.get("disabled") is not None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.add(name, attrs.get("value") or "on")
            elif kind not in self.SKIPPED:
                self.add(name, attrs.get("value") or "")
        elif tag == "select" and name:
            self.select = {"name": name, "multiple": "multiple" in attrs, "chosen": [], "first": None}
        elif tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            if self.select["first"] is None:
                self.select["first"] = value
            if "selected" in attrs:
                self.select["chosen"].append(value)
        elif tag == "textarea" and name:
            self.textarea = {"name": name, "text": ""}

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            chosen = self.select["chosen"]
            if not chosen and not self.select["multiple"] and self.select["first"] is not None:
                chosen = [self.select["first"]]
            for value in chosen:
                self.add(self.select["name"], value)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            # A browser drops the new line that follows <textarea>, and sends each line break as CRLF.
            text = self.textarea["text"]
            text = text[1:] if text.startswith("\n") else text
            self.add(self.textarea["name"], text.replace("\r\n", "\n").replace("\n", "\r\n"))
            self.textarea = None


def page_form(client: Client, url: str, form_id: str) -> dict[str, list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    reader = FormReader(form_id)
    reader.feed(response.content.decode())
    assert reader.data, f"no form {form_id} on {url}"
    return reader.data


def editor(language: str | None = None) -> Client:
    """An administrator's browser: the admin in Italian, or in English once chosen (the language cookie)."""
    client = Client()
    client.force_login(User.objects.create_superuser(f"admin-{word()}", "admin@example.org", "not-used"))
    if language:
        client.cookies["django_language"] = language
    return client


def project_snapshot(pk: int) -> dict:
    """Everything an editor can change on a project's page, as stored."""
    project = Project.objects.get(pk=pk)
    values = {field.name: getattr(project, field.attname) for field in Project._meta.concrete_fields}
    values["countries"] = json.dumps(project.countries)
    values["sources"] = json.dumps(project.sources)
    for name in ("funders", "programmes", "territories", "related"):
        values[name] = sorted(getattr(project, name).values_list("pk", flat=True))
    for name in ("participations", "theme_links", "target_group_links"):
        values[name] = list(getattr(project, name).order_by("pk").values())
    return values


def save(client: Client, url: str, data: dict) -> object:
    return client.post(url, data)


def change_url(project: Project) -> str:
    return f"{PROJECTS}{project.pk}/change/"


def arlekin() -> Project:
    """The seed project working in five countries, with a source that cites a seed document."""
    return Project.objects.get(slug="arlekin")


def rows(data: dict, prefix: str = "sources") -> dict[int, dict[str, str]]:
    """The source rows of a form's data, by row index."""
    found: dict[int, dict[str, str]] = {}
    for name, values in data.items():
        parts = name.split("-")
        if len(parts) == 3 and parts[0] == prefix and parts[1].isdigit():
            found.setdefault(int(parts[1]), {})[parts[2]] = values[0]
    return found


# --- countries -------------------------------------------------------------------------------------------


def test_countries_are_offered_by_their_italian_names_with_the_stored_ones_chosen():
    html = editor().get(change_url(arlekin())).content.decode()
    assert '<option value="FR" selected>Francia</option>' in html
    assert '<option value="BE" selected>Belgio</option>' in html
    assert '<option value="DE">Germania</option>' in html
    assert 'class="selectfilter"' in html and 'data-field-name="paesi"' in html


def test_countries_are_offered_by_their_english_names_to_an_editor_who_chose_english():
    html = editor("en").get(change_url(arlekin())).content.decode()
    assert '<option value="FR" selected>France</option>' in html and '<option value="DE">Germany</option>' in html


def test_a_country_added_by_name_is_stored_as_its_code_after_the_stored_ones_in_their_order():
    client, project = editor(), arlekin()
    data = page_form(client, change_url(project), "project_form")
    data["countries"] = sorted([*data["countries"], "DE"])  # a browser sends them in the order of the list

    assert save(client, change_url(project), data).status_code == 302
    assert Project.objects.get(pk=project.pk).countries == ["FR", "IT", "PT", "ES", "BE", "DE"]


def test_a_country_taken_off_the_chosen_list_is_removed():
    client, project = editor(), arlekin()
    data = page_form(client, change_url(project), "project_form")
    data["countries"] = [code for code in data["countries"] if code != "PT"]

    assert save(client, change_url(project), data).status_code == 302
    assert Project.objects.get(pk=project.pk).countries == ["FR", "IT", "ES", "BE"]


def test_a_stored_code_the_country_list_does_not_know_stays_chosen_and_is_kept():
    project = make_project(countries=["IT", "QZ"])
    client = editor()
    data = page_form(client, change_url(project), "project_form")
    assert data["countries"] == ["IT", "QZ"]

    assert save(client, change_url(project), data).status_code == 302
    assert Project.objects.get(pk=project.pk).countries == ["IT", "QZ"]


def test_a_code_that_is_not_on_the_list_is_refused_and_nothing_is_saved():
    client, project = editor("en"), arlekin()
    before = project_snapshot(project.pk)
    data = page_form(client, change_url(project), "project_form")
    data["countries"] = ["FR", "ZZ"]
    data["title"] = [f"{MARKER} renamed"]

    response = save(client, change_url(project), data)

    assert response.status_code == 200
    assert "Select a valid choice. ZZ is not one of the available choices." in response.content.decode()
    assert project_snapshot(project.pk) == before


# --- sources: what the page shows ------------------------------------------------------------------------


def test_each_source_is_a_row_of_labelled_inputs_with_empty_rows_for_new_ones():
    project = make_project(
        sources=[{"title": "Scheda «ALI»", "url": "https://example.org/ali", "accessed": "2025-01-31"}]
    )
    html = editor().get(change_url(project)).content.decode()

    assert "<legend>Fonte 1</legend>" in html and "<legend>Fonte 2 (nuova)</legend>" in html
    assert '<label for="id_sources-0-title">Titolo</label>' in html
    assert 'name="sources-0-title" id="id_sources-0-title" value="Scheda «ALI»"' in html
    assert '<input type="url" name="sources-0-url" id="id_sources-0-url" value="https://example.org/ali"' in html
    assert '<input type="date" name="sources-0-accessed" id="id_sources-0-accessed" value="2025-01-31">' in html
    assert '<label for="id_sources-0-DELETE" class="vCheckboxLabel">' in html
    assert 'name="sources-1-title"' in html and 'name="sources-2-title"' in html
    assert 'name="sources-1-DELETE"' not in html  # nothing to delete in a new row
    assert '<textarea name="sources"' not in html


def test_a_seed_source_citing_a_document_shows_the_document():
    data = page_form(editor(), change_url(arlekin()), "project_form")
    first = rows(data)[0]
    assert first["document"].startswith("sources/") and first["title"] and first["accessed"] == "2026-11-23"


# --- sources: saving --------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["arlekin", "ali", "intarsi", "libri"])
def test_saving_a_seed_project_without_touching_anything_changes_nothing(slug):
    client = editor()
    project = Project.objects.get(slug=slug)
    before = project_snapshot(project.pk)
    data = page_form(client, change_url(project), "project_form")

    response = save(client, change_url(project), data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert project_snapshot(project.pk) == before


def test_every_seed_project_saved_untouched_keeps_its_countries_and_sources_as_stored():
    client = editor()
    for project in Project.objects.exclude(title__startswith=MARKER):
        stored = (json.dumps(project.countries), json.dumps(project.sources))
        response = save(client, change_url(project), page_form(client, change_url(project), "project_form"))
        assert response.status_code == 302, project.slug
        project.refresh_from_db()
        assert (json.dumps(project.countries), json.dumps(project.sources)) == stored, project.slug


def test_changing_the_date_of_a_source_that_cites_a_document_keeps_the_document():
    client, project = editor(), arlekin()
    document = project.sources[0]["document"]
    data = page_form(client, change_url(project), "project_form")
    data["sources-0-accessed"] = ["2027-02-03"]

    assert save(client, change_url(project), data).status_code == 302
    assert Project.objects.get(pk=project.pk).sources[0] == {
        "title": project.sources[0]["title"],
        "document": document,
        "accessed": "2027-02-03",
    }


def test_a_source_typed_in_an_empty_row_is_added_and_a_marked_one_is_deleted():
    first = {"title": "Scheda", "url": "https://example.org/scheda", "accessed": "2025-01-31"}
    second = {"title": "Delibera", "document": "delibera-12.pdf"}
    project = make_project(sources=[first, second])
    client = editor()
    data = page_form(client, change_url(project), "project_form")
    data["sources-0-DELETE"] = ["on"]
    data.update(
        {
            "sources-3-title": ["  Avviso pubblico  "],
            "sources-3-url": ["https://example.org/avviso"],
            "sources-3-accessed": ["2026-05-04"],
        }
    )

    assert save(client, change_url(project), data).status_code == 302
    assert Project.objects.get(pk=project.pk).sources == [
        second,
        {"title": "Avviso pubblico", "url": "https://example.org/avviso", "accessed": "2026-05-04"},
    ]


def test_a_date_typed_in_the_italian_style_is_stored_as_an_iso_date():
    project = make_project(sources=[])
    client = editor()
    data = page_form(client, change_url(project), "project_form")
    data.update({"sources-0-title": ["Scheda"], "sources-0-url": ["https://example.org/s"]})
    data["sources-0-accessed"] = ["31/01/2025"]

    assert save(client, change_url(project), data).status_code == 302
    assert Project.objects.get(pk=project.pk).sources[0]["accessed"] == "2025-01-31"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"title": "Scheda", "url": "ftp://example.org/scheda"},
            "Source 2: the web address must start with https:// or http://.",
        ),
        ({"title": "Scheda", "url": "example dot org"}, "Source 2: the web address must start with https:// or"),
        ({"title": "Scheda", "url": "https://example.org", "accessed": "2025-02-30"}, "Source 2: the date of access"),
        ({"title": "Scheda", "url": "https://example.org", "accessed": "ieri"}, "is not a valid date."),
        ({"url": "https://example.org/senza-titolo"}, "Source 2 has no title."),
        ({"title": "Solo un titolo"}, "Source 2 needs a web address or a document."),
    ],
)
def test_a_wrong_source_is_refused_with_a_message_naming_its_row_and_nothing_is_saved(row, message):
    client, project = editor("en"), arlekin()
    before = project_snapshot(project.pk)
    data = page_form(client, change_url(project), "project_form")
    data.update({f"sources-1-{key}": [value] for key, value in row.items()})
    data["title"] = [f"{MARKER} renamed"]

    response = save(client, change_url(project), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert message in html and "Please correct the error below." in html
    assert project_snapshot(project.pk) == before
    # What was typed is shown again, to be corrected.
    for value in row.values():
        assert f'value="{value}"' in html


def test_every_wrong_row_is_named_at_once():
    client, project = editor("en"), arlekin()
    data = page_form(client, change_url(project), "project_form")
    data.update({"sources-1-title": ["A"], "sources-1-url": ["nope"], "sources-2-url": ["https://example.org"]})

    html = save(client, change_url(project), data).content.decode()

    assert "Source 2: the web address must start with" in html and "Source 3 has no title." in html


def test_a_form_sending_more_rows_than_any_record_has_is_refused():
    client, project = editor("en"), arlekin()
    before = project_snapshot(project.pk)
    data = page_form(client, change_url(project), "project_form")
    data.update({f"sources-{index}-title": [f"Fonte {index}"] for index in range(1, 120)})
    data.update({f"sources-{index}-document": ["nota"] for index in range(1, 120)})

    response = save(client, change_url(project), data)

    assert response.status_code == 200 and "At most 100 sources can be sent at once." in response.content.decode()
    assert project_snapshot(project.pk) == before


def test_a_new_project_is_added_with_its_countries_and_sources():
    client = editor()
    data = page_form(client, f"{PROJECTS}add/", "project_form")
    slug = f"fx-{word()}"
    data.update(
        {
            "title": [f"{MARKER} Nuovo {word()}"],
            "slug": [slug],
            "countries": ["IT", "FR"],
            "sources-0-title": ["Scheda"],
            "sources-0-url": ["https://example.org/scheda"],
            "sources-0-accessed": ["2026-01-02"],
        }
    )

    response = save(client, f"{PROJECTS}add/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    project = Project.objects.get(slug=slug)
    assert sorted(project.countries) == ["FR", "IT"]
    assert project.sources == [{"title": "Scheda", "url": "https://example.org/scheda", "accessed": "2026-01-02"}]


# --- the organisations' sources ---------------------------------------------------------------------------


def partner_url(partner: Partner) -> str:
    return f"{PARTNERS}{partner.pk}/change/"


def partner_snapshot(pk: int) -> dict:
    partner = Partner.objects.get(pk=pk)
    values = {field.name: getattr(partner, field.attname) for field in Partner._meta.concrete_fields}
    values["sources"] = json.dumps(partner.sources)
    return values


def test_saving_every_seed_organisation_with_sources_untouched_changes_nothing():
    client = editor()
    seeded = Partner.objects.exclude(sources=[]).exclude(name__startswith=MARKER)
    assert seeded.count() >= 5
    for partner in seeded:
        before = partner_snapshot(partner.pk)
        response = save(client, partner_url(partner), page_form(client, partner_url(partner), "partner_form"))
        assert response.status_code == 302, partner.name
        assert partner_snapshot(partner.pk) == before, partner.name


def test_an_organisation_source_with_a_document_and_a_url_keeps_both_when_its_title_changes():
    partner = make_partner(
        sources=[{"title": "Post", "document": "sources/004_fe4e1acc417e4d56.txt", "url": "https://lnkd.in/x"}]
    )
    client = editor()
    data = page_form(client, partner_url(partner), "partner_form")
    assert rows(data)[0] == {
        "title": "Post",
        "url": "https://lnkd.in/x",
        "document": "sources/004_fe4e1acc417e4d56.txt",
        "accessed": "",
    }
    data["sources-0-title"] = ["Post sul progetto"]

    assert save(client, partner_url(partner), data).status_code == 302
    assert Partner.objects.get(pk=partner.pk).sources == [
        {"title": "Post sul progetto", "url": "https://lnkd.in/x", "document": "sources/004_fe4e1acc417e4d56.txt"}
    ]


def test_an_organisation_source_with_a_wrong_address_is_refused_and_nothing_is_saved():
    partner = make_partner(sources=[])
    client = editor("en")
    before = partner_snapshot(partner.pk)
    data = page_form(client, partner_url(partner), "partner_form")
    data.update({"sources-0-title": ["Sito"], "sources-0-url": ["javascript:alert(1)"], "city": ["Asti"]})

    response = save(client, partner_url(partner), data)

    assert response.status_code == 200
    assert "Source 1: the web address must start with https:// or http://." in response.content.decode()
    assert partner_snapshot(partner.pk) == before


def test_the_lead_partner_page_edits_sources_in_rows_too():
    partner = Partner.objects.filter(participations__role="lead").first()
    html = editor().get(f"/admin/partners/leadpartner/{partner.pk}/change/").content.decode()
    assert 'name="sources-0-title"' in html and '<textarea name="sources"' not in html


# --- funders, programmes, territories and inline rows ------------------------------------------------------


@pytest.mark.parametrize("kind", ["funder", "programme"])
def test_funders_and_programmes_edit_sources_in_rows_and_keep_them_when_saved_untouched(kind):
    model = {"funder": Funder, "programme": Programme}[kind]
    record = model.objects.exclude(sources=[]).order_by("pk").first()
    assert record is not None, f"no seed {kind} with sources"
    url = f"/admin/projects/{kind}/{record.pk}/change/"
    client = editor()
    data = page_form(client, url, f"{kind}_form")
    assert rows(data)[0]["title"] == record.sources[0]["title"]
    assert "sources" not in data  # no JSON text area
    stored = {field.attname: getattr(record, field.attname) for field in model._meta.concrete_fields}

    assert save(client, url, data).status_code == 302
    record.refresh_from_db()
    assert {field.attname: getattr(record, field.attname) for field in model._meta.concrete_fields} == stored

    data = page_form(client, url, f"{kind}_form")  # read again: a form read before the save is stale now
    data["sources-0-title"] = ["Titolo corretto"]
    assert save(client, url, data).status_code == 302
    record.refresh_from_db()
    assert record.sources[0]["title"] == "Titolo corretto"
    assert record.sources[1:] == stored["sources"][1:]


def test_an_organisations_role_in_a_project_keeps_its_line_breaks_when_the_project_is_saved():
    project = arlekin()
    link = project.participations.order_by("pk").first()
    link.description = "Prima riga.\nSeconda riga."
    link.save()
    client = editor()
    data = page_form(client, change_url(project), "project_form")  # the browser sends the break as CRLF
    index = next(i for i, row in rows(data, "participations").items() if row.get("id") == str(link.pk))
    assert data[f"participations-{index}-description"] == ["Prima riga.\r\nSeconda riga."]

    assert save(client, change_url(project), data).status_code == 302
    link.refresh_from_db()
    assert link.description == "Prima riga.\nSeconda riga."


def test_a_territorys_description_keeps_its_line_breaks():
    territory = make_territory(description="Ambito A.\nAmbito B.")
    url = f"/admin/projects/territory/{territory.pk}/change/"
    client = editor()
    data = page_form(client, url, "territory_form")

    assert save(client, url, data).status_code == 302
    territory.refresh_from_db()
    assert territory.description == "Ambito A.\nAmbito B."
