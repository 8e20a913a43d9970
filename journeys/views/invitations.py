"""The invitation link: a new patient or caregiver chooses a password and is signed in."""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from journeys.forms import SetPasswordForm
from journeys.invitations import InvitationError, invitation_accept, invitation_check


def _refused(request, exc):
    # An unknown token is a 404 like any unknown address; a used or expired one is Gone.
    status = 404 if exc.code in ("unknown", "inactive") else 410
    context = {"message": exc.messages[0]}
    return render(request, "account/invitation_invalid.html", context, status=status)


@never_cache
@sensitive_post_parameters("password", "password_confirm")
def accept(request, token):
    try:
        invitation = invitation_check(token=token, request=request)
    except InvitationError as exc:
        return _refused(request, exc)
    form = SetPasswordForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        password = form.cleaned_data["password"]
        try:
            user = invitation_accept(token=token, password=password, request=request)
        except InvitationError as exc:
            return _refused(request, exc)
        except ValidationError as exc:
            form.add_error("password", exc)  # Too weak: the link stays usable.
        else:
            login(request, user, backend="journeys.auth_backends.ModelBackend")
            messages.success(request, _("Your password is set. Welcome to SpineCare."))
            return redirect("journeys:home")
    context = {"form": form, "invited": invitation.user}
    return render(request, "account/invitation_accept.html", context)
