"""SMS notifications: providers behind one protocol, the message outbox, delivery
jobs with retries, one-time codes (login and phone verification) and preferences.

Other domains call `app.notifications.services.notify(event, recipient, **params)`.
"""
