"""The steps of ``strategic_analysis``: task names and queues (see :mod:`app.workflows.steps`)."""

from app.workflows.steps import declare

RETRIEVE = declare("dia3.agents.retrieve", "agents")
PERSPECTIVE = declare("dia3.agents.perspective", "agents")
CRITIC = declare("dia3.agents.critic", "agents")
SYNTHESISE = declare("dia3.agents.synthesise", "agents")
