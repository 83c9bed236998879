"""The steps of ``smoke``: task names and queues (see :mod:`app.workflows.steps`)."""

from app.workflows.steps import declare

ADD_ONE = declare("dia3.smoke.add_one", "default")
FINISH = declare("dia3.smoke.finish", "default")
