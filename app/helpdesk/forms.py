"""Forms of the helpdesk's pages. Validation and conversion only: what may be done is the
services' decision (an order of the company, an attachment's type, a ticket's status)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.core.forms import Form, WholeField, fits, required, upload_name
from app.helpdesk.attachments import Upload
from app.helpdesk.models import Attachment, Calendar, CannedReply, Message, Ticket
from app.helpdesk.texts import PRIORITY_LABELS, STATUS_LABELS, TYPE_LABELS, WEEKDAYS


def _choices(labels: dict, keys=None) -> list[tuple[str, object]]:
    return [(k, labels[k]) for k in (keys or labels)]


class _Files(MultipleFileField):
    """Attached files as Uploads (name and bytes); no file chosen is an empty list."""

    def uploads(self) -> list[Upload]:
        return [Upload(upload_name(f, Attachment.filename, "attachment"), f.read())
                for f in (self.data or []) if getattr(f, "filename", "")]


def _files() -> _Files:
    return _Files(_l("Attachments"), description=_l("Images (PNG, JPEG, GIF, WebP) or PDF, up to 5 MB each, "
                                                    "at most 3 files."),
                  render_kw={"accept": "image/png,image/jpeg,image/gif,image/webp,application/pdf"})


class TicketForm(Form):
    type = RadioField(_l("What is it about?"), choices=_choices(TYPE_LABELS), default="inquiry",
                      validators=[required(_l("Choose a kind of ticket."))])
    subject = StringField(_l("Subject"), validators=[required(), fits(Ticket.subject)])
    order_id = SelectField(_l("Order"), choices=[], validate_choice=False, validators=[Optional()])
    message = TextAreaField(_l("Your message"), validators=[required(), fits(Message.body)])
    attachments = _files()

    def chosen_order(self) -> int | None:
        raw = (self.order_id.data or "").strip()
        return int(raw) if raw.isdigit() and len(raw) < 10 else None


class ReplyForm(Form):
    message = TextAreaField(_l("Your reply"), validators=[required(), fits(Message.body)])
    attachments = _files()


class RateForm(Form):
    rating = RadioField(_l("How well were you helped?"), choices=[(str(n), str(n)) for n in range(1, 6)],
                        validators=[required(_l("Choose from 1 to 5 stars."))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), fits(Ticket.rating_comment)])


class CloseForm(Form):
    pass


AFTER_REPLY = ("pending_customer", "open", "resolved")


class AgentReplyForm(Form):
    message = TextAreaField(_l("Reply to the customer"), validators=[required(), fits(Message.body)])
    then = SelectField(_l("Then"), choices=[("pending_customer", _l("Wait for the customer")),
                                           ("open", _l("Keep it open")), ("resolved", _l("Mark as resolved"))],
                       default="pending_customer")
    attachments = _files()


class NoteForm(Form):
    note = TextAreaField(_l("Internal note"), description=_l("Only agents see notes: never the customer."),
                         validators=[required(), fits(Message.body)])


class AssignForm(Form):
    assignee = SelectField(_l("Assignee"), choices=[], validate_choice=False)


class DetailsForm(Form):
    type = SelectField(_l("Type"), choices=_choices(TYPE_LABELS))
    priority = SelectField(_l("Priority"), choices=_choices(PRIORITY_LABELS))


class StatusForm(Form):
    status = SelectField(_l("Status"), choices=_choices(STATUS_LABELS, ("open", "pending_customer", "resolved",
                                                                        "closed")))


class RefundForm(Form):
    order_id = SelectField(_l("Order"), choices=[], validate_choice=False,
                           validators=[required(_l("Choose an order."))])
    amount = StringField(_l("Amount (¥)"), description=_l("Leave empty to refund all that is left."),
                         validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[required(), fits(Message.body)])


class CannedForm(Form):
    title = StringField(_l("Title"), validators=[required(), fits(CannedReply.title)])
    body = TextAreaField(_l("Text"), validators=[required(), fits(CannedReply.body)])
    active = BooleanField(_l("Offered to agents"), default=True)


class PolicyForm(Form):
    calendar_id = WholeField(_l("Calendar"), validators=[required()], lo=1)
    first_response = WholeField(_l("First response (minutes)"), validators=[required()], lo=1, hi=525_600)
    next_response = WholeField(_l("Next response (minutes)"), validators=[required()], lo=1, hi=525_600)
    resolution = WholeField(_l("Resolution (minutes)"), validators=[required()], lo=1, hi=525_600)


class CalendarForm(Form):
    name = StringField(_l("Name"), validators=[required(), fits(Calendar.name)])
    timezone = StringField(_l("Time zone"), validators=[required(), fits(Calendar.timezone)])
    always_open = BooleanField(_l("Around the clock (24×7)"))
    holidays = TextAreaField(_l("Holidays"), description=_l("One date a line, such as 2026-10-01."),
                             validators=[Optional(), Length(max=4000)])

    def week(self) -> list[str]:
        return [getattr(self, f"day{n}").data or "" for n in range(7)]


# One field a weekday (day0 is Monday): its working hours, such as "09:00-12:00, 13:00-18:00".
for _n, _day in enumerate(WEEKDAYS):
    setattr(CalendarForm, f"day{_n}", StringField(_day, validators=[Optional(), Length(max=100)]))
