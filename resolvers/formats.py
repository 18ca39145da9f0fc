"""Text forms shared by the resolver path (Python) and the compiled path (SQL): the two
must produce identical responses, so each form is defined once, in both languages."""

# DateTime: always UTC, microseconds, "Z" (Python: isoformat with timespec="microseconds").
SQL_DATETIME_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'  # to_char in a UTC session
