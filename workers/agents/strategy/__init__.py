"""Strategic analysis by a swarm of agents: perspectives, a critic and a synthesiser.

Plain functions over an LLM client (any backend) and retrieved evidence; the Celery steps in
``workers/tasks/agents.py`` call them.
"""
