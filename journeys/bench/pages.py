"""The pages the benchmark measures, and who asks for each.

URL names are resolved when the benchmark runs: a page the project does not have (yet)
is reported "not available" rather than stopping the run.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

PATIENT, STAFF, COORDINATOR = "patient", "staff", "coordinator"
# A worklist narrowed as a nurse would: one step, only who needs attention.
WORKLIST_FILTER = "step=preparation&flag=overdue"


@dataclass(frozen=True)
class Page:
    label: str
    url_name: str
    role: str
    per_journey: bool = False  # the URL takes the journey's id
    query: str = ""
    on_surgery_day: bool = False  # ?date= the sample journey's surgery day
    # The benchmark's own pages: a fixed path, as their URLs exist only in the
    # gunicorn the benchmark starts (SPINECARE_BENCH=true; journeys/bench/urls.py).
    bench_path: str = ""
    renders_template: bool = True

    def path(self, journey):
        """The page's path for `journey`'s patient or care team; None if the URL is missing."""
        if self.bench_path:
            return self.bench_path.format(journey_id=journey.pk)
        kwargs = {"journey_id": journey.pk} if self.per_journey else {}
        try:
            path = reverse(self.url_name, kwargs=kwargs)
        except NoReverseMatch:
            return None
        query = self.query
        if self.on_surgery_day and journey.surgery_at is not None:
            day = journey.surgery_at.astimezone(journey.clinic.zone).date()
            query = f"date={day.isoformat()}&view=day"
        return f"{path}?{query}" if query else path

    def user(self, bench, journey):
        return {PATIENT: journey.patient, STAFF: bench.nurse, COORDINATOR: bench.coordinator}[
            self.role
        ]


PAGES = [
    Page("patient home", "journeys:home", PATIENT),
    Page("staff worklist, first page", "journeys:staff-worklist", STAFF),
    Page("staff worklist, filtered", "journeys:staff-worklist", STAFF, query=WORKLIST_FILTER),
    Page("staff patient detail", "journeys:staff-journey", STAFF, per_journey=True),
    Page(
        "coordinator day calendar",
        "journeys:coordinator-calendar",
        COORDINATOR,
        on_surgery_day=True,
    ),
]
# The same middleware, session and authentication as the pages, and nothing else.
FLOOR_PATH = "/bench/floor/"
FLOOR = Page(
    "floor (minimal signed-in view)",
    "bench:floor",
    PATIENT,
    bench_path=FLOOR_PATH,
    renders_template=False,
)
# What every page adds to the floor and none can leave out, one part at a time: they
# show how much of the floor's throughput is left for a page's own work.
REFERENCES = [
    Page("reference: the layout", "bench:layout", PATIENT, bench_path="/bench/layout/"),
    Page(
        "reference: the layout and one audited journey read",
        "bench:audited-read",
        PATIENT,
        bench_path="/bench/journeys/{journey_id}/",
    ),
]
