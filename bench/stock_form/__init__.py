"""Stock Wagtail's e-mail form, for bench/feedback.py only: a page type that
sends its e-mail inside the request (`AbstractEmailForm`), with the fields
of our widget. Installed by `bench.stock_form.settings` and nothing else, so
it is never among the editors' page types, and its migrations never among
the project's."""
