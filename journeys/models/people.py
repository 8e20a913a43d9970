"""Clinics, their locations, and the people who use SpineCare."""

import zoneinfo

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Clinic(models.Model):
    name = models.CharField(max_length=200)
    time_zone = models.CharField(
        max_length=64, default="America/Los_Angeles", validators=[validate_time_zone]
    )
    phone = models.CharField(max_length=40, help_text="The care team's number patients call.")
    after_hours_phone = models.CharField(max_length=40, blank=True)
    # Reminder lead times: clinic policy, read by the planner (journeys/planning.py).
    arrival_lead_minutes = models.PositiveSmallIntegerField(
        default=120,
        validators=[MaxValueValidator(600)],
        help_text="How long before the surgery time patients arrive.",
    )
    therapy_first_lead_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MaxValueValidator(168)],
        help_text="First reminder before a therapy session, in hours. 0: none.",
    )
    therapy_second_lead_hours = models.PositiveSmallIntegerField(
        default=2,
        validators=[MaxValueValidator(48)],
        help_text="Second reminder before a therapy session, in hours. 0: none.",
    )

    def __str__(self):
        return self.name

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.time_zone)


class Location(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    """Each role is also a Django group of the same name (see migrations)."""

    PATIENT = "patient", _("Patient")
    CAREGIVER = "caregiver", _("Caregiver")
    STAFF = "staff", _("Clinic staff")
    COORDINATOR = "coordinator", _("Coordinator")
    CLINIC_ADMIN = "clinic_admin", _("Clinic admin")


class Channel(models.TextChoices):
    """How a reminder reaches the patient: their preference and each reminder's route."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")


class EmailUserManager(UserManager):
    def get_queryset(self):
        # Every signed-in request reads the user's clinic (its time zone, its name in the
        # header): loading it with the user saves a query on every page. A nullable join,
        # so a User select_for_update() must name of=("self",).
        return super().get_queryset().select_related("clinic")

    def _create_user_object(self, username, email, password, **extra_fields):
        # Email is the login; there is no username.
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.password = ""
        if password is not None:
            user.set_password(password)
        return user

    def create_user(self, email, password=None, **extra_fields):
        user = self._create_user_object(None, email, password, **extra_fields)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PATIENT)
    clinic = models.ForeignKey(
        Clinic,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
        db_index=False,  # user_by_clinic_role starts with it
    )
    phone = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    language = models.CharField(
        max_length=8, choices=[("en", "English"), ("es", "Español")], default="en"
    )
    # A patient's reminder preferences. Quiet hours are wall-clock times in the
    # clinic's zone; non-urgent reminders falling inside them wait until they end.
    reminder_channel = models.CharField(
        _("reminders by"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    # Off (by the unsubscribe link in a reminder email): only urgent reminders (fasting,
    # medicine stops, arrival) still come by email.
    email_optional_reminders = models.BooleanField(_("Email me optional reminders"), default=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []
    objects = EmailUserManager()

    class Meta:
        ordering = ["full_name"]
        indexes = [
            # A clinic's surgeons or coordinators, by name (forms' choices, the care
            # team page): a clinic's users are mostly its thousands of patients.
            models.Index(fields=["clinic", "role", "full_name"], name="user_by_clinic_role"),
        ]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_care_team(self):
        return self.role in (Role.STAFF, Role.COORDINATOR, Role.CLINIC_ADMIN)
