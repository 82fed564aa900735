"""The UI's forms. Every one carries a CSRF token (Flask-WTF); buttons without fields use
`csrf_token()` in the template, checked by CSRFProtect all the same."""

from __future__ import annotations

from typing import Any, cast

from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import HiddenInput

from voice_router.models import MAX_ID


class LoginForm(FlaskForm):
    token = PasswordField("API token", validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class AmountField(DecimalField):
    """A decimal number that is one: `NaN`, `sNaN` and `Infinity` are not a valid decimal
    value (WTForms' DecimalField took them, and NumberRange raised on `sNaN`: a 500)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))


class NoteForm(FlaskForm):
    body = TextAreaField("Note", validators=[DataRequired(), Length(max=10000)])
    arr_at_risk = AmountField(
        "ARR at risk (optional)",
        places=None,
        validators=[Optional(), NumberRange(min=0, max=999_999_999_999)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="note", **kwargs)


class JiraLinkForm(FlaskForm):
    key = StringField(
        "Existing Jira issue key",
        validators=[
            DataRequired(),
            Length(max=50),
            Regexp(r"^\s*[A-Za-z][A-Za-z0-9_]*-\d+\s*$", message="Use a key such as PROD-12."),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="jira", **kwargs)


class RenameForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="rename", **kwargs)


class MergeForm(FlaskForm):
    into = IntegerField(
        widget=HiddenInput(), validators=[DataRequired(), NumberRange(min=1, max=MAX_ID)]
    )


def add_error(field: Field, message: str) -> None:
    """Show `message` under `field` of a form that validated (its `errors` is then a list;
    WTForms' stubs say Sequence)."""
    cast(list[str], field.errors).append(message)
