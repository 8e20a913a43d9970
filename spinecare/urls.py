from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

# The admin login goes through allauth, so it is rate-limited like every login.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "SpineCare clinic admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("journeys.urls")),
]
