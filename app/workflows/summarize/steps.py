"""The steps of ``summarize``: task names and queues (see :mod:`app.workflows.steps`)."""

from app.workflows.steps import declare

SECTION = declare("dia3.agents.summarize_section", "agents")
COMBINE = declare("dia3.agents.summarize_combine", "agents")
DOCUMENT = declare("dia3.agents.summarize_document", "agents")
