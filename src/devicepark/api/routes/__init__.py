"""The API's routers: ``queries`` (the installed-base answers under ``/v1``) and ``campaigns``
(``/v1/campaigns/...``); ``devicepark.api.app.create_app`` includes them with the dashboard's.
"""
