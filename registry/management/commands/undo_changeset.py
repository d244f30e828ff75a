"""Undo a change set on the server: for those the admin will not undo within a request (UNDO_IN_ADMIN_AT_MOST)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from django.db.models.deletion import ProtectedError
from django.utils.translation import gettext as _

from registry.history import RestoreError, UndoConflict, change_set_undo, change_set_versions, system_account
from registry.models import ChangeSet


class Command(BaseCommand):
    help = (
        "Undo a change set (what a save, an action, an import or a merge wrote): every record it wrote goes back "
        "to its version before it. Refused, with nothing written, when a record was changed after the set."
    )

    def add_arguments(self, parser):
        parser.add_argument("change_set", type=int, help="The change set's number, as its admin page shows it.")
        parser.add_argument(
            "--editor",
            metavar="USERNAME",
            required=True,
            help="The editor the undo is recorded under; they need the permission to undo change sets.",
        )

    def handle(self, *args, change_set: int, editor: str, **options):
        change = ChangeSet.objects.filter(pk=change_set).first()
        if change is None:
            raise CommandError(_("There is no change set %(number)s: nothing was undone.") % {"number": change_set})
        user = get_user_model().objects.filter(username=editor, is_active=True).first()
        if user is None:
            raise CommandError(_("There is no active editor «%(name)s»: nothing was undone.") % {"name": editor})
        if not user.has_perm("registry.undo_changeset"):
            raise CommandError(_("«%(name)s» may not undo change sets: nothing was undone.") % {"name": editor})
        if change.undone_by_id is not None:
            raise CommandError(_("This change set was already undone."))
        count = change_set_versions(change).count()
        try:
            undo = change_set_undo(change, user=user, actor=f"{system_account()} (undo_changeset)")
        except UndoConflict as conflict:
            names = "\n".join(f"  {version.instance} ({version.change_set})" for version in conflict.versions)
            raise CommandError(
                _(
                    "Nothing was undone: these records were changed after this change set, and undoing it would "
                    "overwrite those changes. Undo the later changes first, or correct the records by hand."
                )
                + "\n"
                + names
            ) from None
        except (RestoreError, IntegrityError, ProtectedError) as error:
            raise CommandError(_("Nothing was undone: %(error)s") % {"error": error}) from None
        self.stdout.write(
            _("Undone: %(count)s records written back (change set %(undo)s).")
            % {"count": count, "undo": undo.pk if undo is not None else "—"}
        )
