"""A plain HTTP client for the test wiki: what humans and admins do while the bot runs.

Deliberately independent of the bot's gateway and of pywikibot, so a test sets the scene
(accounts, edits, blocks) by other means than the code under test.
"""

from __future__ import annotations

from typing import Any

import requests


class WikiClient:
    def __init__(self, api: str) -> None:
        self.api = api
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "mentorbot-tests/0 (test wiki client)"

    def get(self, **params: Any) -> dict[str, Any]:
        params.setdefault("action", "query")
        response = self.session.get(self.api, params={"format": "json", "formatversion": "2", **params},
                                    timeout=60)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def post(self, action: str, *, check: bool = True, token_type: str = "csrf", **params: Any) -> dict[str, Any]:
        """A POST with a fresh token; raises on an API error unless ``check`` is False."""
        token = self.get(meta="tokens", type=token_type)["query"]["tokens"][f"{token_type}token"]
        response = self.session.post(
            self.api,
            data={"action": action, "format": "json", "formatversion": "2", "token": token, **params},
            timeout=60,
        )
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        if check and "error" in data:
            raise AssertionError(f"{action} failed: {data['error']}")
        return data

    def login(self, username: str, password: str) -> WikiClient:
        token = self.get(meta="tokens", type="login")["query"]["tokens"]["logintoken"]
        if "@" in username:  # a BotPassword
            result = self.session.post(self.api, data={
                "action": "login", "lgname": username, "lgpassword": password, "lgtoken": token,
                "format": "json"}, timeout=60).json()
            assert result["login"]["result"] == "Success", result
        else:
            result = self.session.post(self.api, data={
                "action": "clientlogin", "username": username, "password": password,
                "logintoken": token, "loginreturnurl": "http://127.0.0.1/", "format": "json"},
                timeout=60).json()
            assert result["clientlogin"]["status"] == "PASS", result
        return self

    def create_account(self, username: str, password: str) -> int:
        """Create a local account (as a signup would) and return its user id."""
        token = self.get(meta="tokens", type="createaccount")["query"]["tokens"]["createaccounttoken"]
        result = self.session.post(self.api, data={
            "action": "createaccount", "username": username, "password": password, "retype": password,
            "createtoken": token, "createreturnurl": "http://127.0.0.1/", "format": "json"},
            timeout=60).json()
        assert result["createaccount"]["status"] == "PASS", result
        return self.user_id(username)

    def user_id(self, username: str) -> int:
        return int(self.get(list="users", ususers=username)["query"]["users"][0]["userid"])

    def edit(self, title: str, text: str, summary: str = "test edit", **params: Any) -> dict[str, Any]:
        return self.post("edit", title=title, text=text, summary=summary, **params)

    def page_text(self, title: str) -> str | None:
        page = self.get(prop="revisions", rvprop="content", rvslots="main", titles=title)["query"]["pages"][0]
        if page.get("missing"):
            return None
        return str(page["revisions"][0]["slots"]["main"]["content"])

    def revision_count(self, title: str) -> int:
        page = self.get(prop="revisions", rvprop="ids", rvlimit="max", titles=title)["query"]["pages"][0]
        return len(page.get("revisions", []))
