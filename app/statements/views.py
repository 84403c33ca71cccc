"""The statements blueprint: buyers' statements and the platform's finance pages."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("statements", __name__)
