from journeys.channels.base import Channel, ChannelError
from journeys.channels.email import EmailChannel

# The one registry: Reminder.channel value -> channel class.
CHANNELS = {
    "email": EmailChannel,
}

__all__ = ["CHANNELS", "Channel", "ChannelError"]
