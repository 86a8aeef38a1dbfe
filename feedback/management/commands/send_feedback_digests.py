from django.core.management.base import BaseCommand, CommandError

from feedback import digests


class Command(BaseCommand):
    help = (
        "Skickar de sammanställningar av sidrespons som ska skickas nu, i den här "
        "processen (ingen worker behövs), och avslutar när e-postservern har tagit emot dem."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            dest="everything",
            help="Skicka alla svar som inte har skickats, oavsett hur ofta mottagaren vill ha dem.",
        )

    def handle(self, *args, everything, **options):
        outcomes = digests.send_due(everything=everything)
        sent, retry = outcomes.get("sent", 0), outcomes.get("retry", 0)
        self.stdout.write(f"Skickade {sent} sammanställning(ar).")
        if retry:
            raise CommandError(
                f"{retry} sammanställning(ar) kunde inte skickas; de skickas igen senare."
            )
