from django.conf import settings


def clinic_branding(request):
    user = getattr(request, "user", None)
    clinic = getattr(user, "clinic", None) if user is not None and user.is_authenticated else None
    return {
        "clinic": clinic,
        "brand_name": clinic.name if clinic else "SpineCare",
        "brand_logo": settings.SPINECARE_CLINIC_LOGO,
        "demo_mode": settings.DEMO_MODE,
    }
