"""allauth glue: nobody signs themselves up; coordinators enrol patients."""

from allauth.account.adapter import DefaultAccountAdapter

# allauth tells an unknown address "you have no account, sign up here"; with sign-up
# closed that email helps nobody, and a reset request for an unknown address sends nothing.
UNKNOWN_ACCOUNT_MAIL = "account/email/unknown_account"


class NoSignupAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False

    def send_mail(self, template_prefix, email, context):
        if template_prefix == UNKNOWN_ACCOUNT_MAIL:
            return
        super().send_mail(template_prefix, email, context)
