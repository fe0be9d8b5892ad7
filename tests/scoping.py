"""Filters over the whole database, for tests of figures (the scope's own tests are in test_scope.py)."""
from functools import partial

from queries.filters import Filters
from queries.scope import EVERYTHING

all_months = partial(Filters.for_months, scope=EVERYTHING)
all_filters = partial(Filters, scope=EVERYTHING)
