"""Exit statuses of ``scrapy crawl news``, ``newsarchive recrawl`` and the other commands.

Cron mails whatever a job prints and judges it by its status, so each status means one
thing (README: "Exit codes").
"""

OK = 0
#: At least one outlet failed entirely: nothing came back from it (unreachable, timeouts,
#: every request refused or answered with a server error).
OUTLET_FAILED = 1
#: ``newsarchive health``: at least one outlet is not healthy (degraded, broken, storm held).
UNHEALTHY = 1
#: ``newsarchive verify``: at least one record, row or index line does not match.
VERIFY_FAILED = 1
#: Bad configuration or bad arguments; nothing was fetched.
USAGE = 2
#: The database cannot be opened (down, wrong URL or password, unwritable file); nothing was
#: fetched (EX_UNAVAILABLE).
DATABASE_UNAVAILABLE = 69
#: Distributed mode (``newsarchive enqueue``, ``newsarchive worker``): Redis does not answer;
#: nothing was fetched or handed out (EX_UNAVAILABLE, like the database).
QUEUE_UNAVAILABLE = 69
#: Another ``newsarchive recrawl`` holds the lock; nothing was fetched (EX_TEMPFAIL).
LOCKED = 75
