"""The largest id a row may have: ids are 32-bit `integer` columns on PostgreSQL. Apart from
the tables (voice_router.models) so the command line can bound its arguments without
loading them."""

MAX_ID = 2**31 - 1
