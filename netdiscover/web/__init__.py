"""The web review interface and REST API (FastAPI + Jinja2), served by ``netdiscover serve``.

Importing this package loads nothing heavy; ``netdiscover.web.app.create_app`` builds the app.
"""
