from django.urls import reverse

from tests.conftest import PASSWORD


def test_a_wrong_password_gets_a_clear_message_and_no_session(client, patient):
    response = client.post(
        reverse("account_login"), {"login": patient.email, "password": "not-the-password"}
    )

    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_right_password_signs_in_and_lands_on_the_journey(client, patient, journey):
    response = client.post(
        reverse("account_login"), {"login": patient.email, "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("journeys:home")
    assert "Your next step:" in response.content.decode()


def test_there_is_no_open_sign_up(client, db):
    response = client.post(
        reverse("account_signup"), {"email": "new@example.com", "password1": "x" * 20}
    )

    assert "new@example.com" not in str(response.content)
    from journeys.models import User

    assert not User.objects.filter(email="new@example.com").exists()
