"""System checks: what the importer's safety depends on outside the registry's own code."""

from django.core.checks import Error, register


@register()
def xlsx_xml_is_defused(app_configs, **kwargs):
    """openpyxl parses a workbook's XML through defusedxml only when it is installed and not turned off.

    Without it an uploaded XLSX could expand entities to gigabytes or read the server's files
    (projects.importing.sheets relies on the refusal).
    """
    from openpyxl.xml import DEFUSEDXML  # noqa: PLC0415 (read when the check runs, after the environment)

    if DEFUSEDXML:
        return []
    return [
        Error(
            "openpyxl does not parse XLSX through defusedxml",
            hint="Install defusedxml (a dependency of the registry) and do not set OPENPYXL_DEFUSEDXML=False.",
            id="projects.E001",
        )
    ]


# An entity that would read a server's file into a cell: its declaration alone must be refused.
ENTITY_DECLARATION = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>&e;</d>'


@register()
def ods_xml_is_defused(app_configs, **kwargs):
    """The ODS reader parses content.xml with projects.importing.sheets.xml_parser, which must refuse entities.

    It relies on defusedxml's parser the same way openpyxl does; this proves the refusal on a tiny
    document instead of trusting a flag.
    """
    from defusedxml import DefusedXmlException  # noqa: PLC0415 (read when the check runs)

    from projects.importing.sheets import xml_parser  # noqa: PLC0415

    try:
        parser = xml_parser(target=object())
        parser.feed(ENTITY_DECLARATION)
        parser.close()
    except DefusedXmlException:
        return []
    except Exception:  # a failure of another kind proves nothing about the refusal
        pass
    return [
        Error(
            "the ODS reader's XML parser does not refuse entity declarations",
            hint="projects.importing.sheets.xml_parser must build defusedxml's DefusedXMLParser "
            "with forbid_entities=True and forbid_external=True.",
            id="projects.E002",
        )
    ]
