"""The landing page (``dia3 landing``): what DIA3 is, live health, links to everything."""
