from django.core.management.base import BaseCommand

from intl_pages.demo import load_demo


class Command(BaseCommand):
    help = (
        "Lägger in demoinnehållet: startsidan, sidan om internationella samarbeten "
        "och dess kontaktpersoner. Skapar bara det som saknas och skriver aldrig "
        "över det som en redaktör har ändrat."
    )

    def handle(self, *args, **options):
        messages = []
        load_demo(log=messages.append)
        for message in messages:
            self.stdout.write(message)
        if not messages:
            self.stdout.write("Demoinnehållet finns redan; inget ändrades.")
