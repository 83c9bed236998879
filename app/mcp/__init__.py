"""DIA3's Model Context Protocol server (``dia3 mcp``) and the job reports it shares with the
dashboard. Importing this package does not import the MCP SDK; ``app.mcp.server`` does."""
