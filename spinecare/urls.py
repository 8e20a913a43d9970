from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

# The admin login goes through allauth, so it is rate-limited like every login.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = _("SpineCare clinic admin")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("journeys.urls")),
]

if settings.SPINECARE_BENCH:
    urlpatterns.append(path("bench/", include("journeys.bench.urls")))
