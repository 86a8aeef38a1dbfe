"""Whole responses of published pages and anonymous API calls, kept in Redis
with a per-process layer in front, purged on every change visitors see."""
