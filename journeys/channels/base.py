"""The interface every reminder channel implements."""


class ChannelError(Exception):
    """A send failed. `permanent` means retrying cannot help (e.g. an invalid address)."""

    def __init__(self, message, *, permanent=False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class Channel:
    def send(self, reminder, delivery):
        """Send `reminder`; return the provider's message id. Raise ChannelError on failure.

        Implementations pass `reminder.uuid` to the provider as the idempotency key,
        so a retried send of the same reminder is not delivered twice.
        """
        raise NotImplementedError
