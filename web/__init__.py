"""The web pages: server-rendered from the same services as the API, in the same app.

`web.app.create_app` is the API's app (api/app.py) with the pages added: sign-in
(`routes/sign_in.py`, sessions in `sessions.py`), the board (`routes/board.py`) and the
turnover analytics (`routes/analytics.py`); templates and static files (the vendored
Chart.js among them) are served from here, nothing from another origin.
"""
