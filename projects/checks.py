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
