"""Strategic analysis by a swarm of agents: perspectives, a critic and a synthesiser.

Plain functions over an LLM client (any backend) and retrieved evidence; the Celery steps in
``workers/strategic_analysis/tasks.py`` call them.
"""
