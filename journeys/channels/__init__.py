from journeys.channels.base import Channel, ChannelError
from journeys.channels.email import EmailChannel
from journeys.channels.sms import SMSChannel

# The one registry: Reminder.channel value -> channel class.
CHANNELS = {
    "email": EmailChannel,
    "sms": SMSChannel,
}

__all__ = ["CHANNELS", "Channel", "ChannelError"]
