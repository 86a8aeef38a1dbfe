"""Temporary, no tests: the admin's tests are in test_admin_*.py, their form
helpers in admin_forms.py. tests/tasks/test_redis_down.py still imports two
helpers from here; delete this file once it imports them from admin_forms."""

from .admin_forms import contact_data, edit_form_data

__all__ = ["contact_data", "edit_form_data"]
