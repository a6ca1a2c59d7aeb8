"""The dashboard: server-rendered HTML shells plus vanilla ES modules, served by the API app."""
