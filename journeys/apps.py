from django.apps import AppConfig


class JourneysConfig(AppConfig):
    name = "journeys"
    verbose_name = "SpineCare journeys"

    def ready(self):
        # Connects the sign-in signal that starts the session clocks.
        from journeys import security  # noqa: F401
