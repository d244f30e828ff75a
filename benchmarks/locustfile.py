"""Visitors of the registry, for locust (run by benchmarks/load_test.py).

Each visitor opens the list, pages through it, filters by what the facets offer (theme, province,
funder, year), searches Italian words, opens projects, reads the API and exports what they filtered,
with one to three seconds between pages. `CeilingVisitor` only asks /healthz (one query), without
pause: the most requests a second the same stack (gunicorn, Django's middleware, the database) can
answer. The load test runs it alone, in the same run, for the ceiling.
"""

from __future__ import annotations

import random
import re

from locust import HttpUser, between, constant, events, task

WORDS = ["abitare", "lavoro", "salute", "mediazione", "formazione", "minori", "donne", "inclusione", "citta", "asilo"]
THEMES = ["housing", "work_training", "health", "mediation", "education"]
PROJECT_LINK = re.compile(r'href="/projects/([a-z0-9-]+)/"')
# Filled once from the facets API when the test starts: real values, as a visitor would click them.
CHOICES: dict[str, list[str]] = {}


@events.test_start.add_listener
def read_choices(environment, **kwargs):
    import requests

    facets = requests.get(f"{environment.host}/api/v1/projects/facets/", timeout=60).json()
    for name in ("province", "funder", "year", "theme"):
        CHOICES[name] = [option["value"] for option in facets.get(name, [])][:40]


class Visitor(HttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        self.slugs: list[str] = []

    def _list(self, params: dict, name: str):
        with self.client.get("/projects/", params=params, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif not self.slugs or random.random() < 0.2:
                # Projects to open later: the links of the page just read.
                self.slugs = PROJECT_LINK.findall(response.text)[:30] or self.slugs

    @task(6)
    def browse(self):
        self._list({"page": random.choice([1, 1, 1, 2, 3, 10, 50])}, "/projects/?page")

    @task(5)
    def filter(self):
        name = random.choice([name for name in CHOICES if CHOICES[name]] or ["theme"])
        value = random.choice(CHOICES.get(name) or THEMES)
        params = {name: value}
        if random.random() < 0.3:
            params["sort"] = random.choice(["title", "-start"])
        self._list(params, f"/projects/?{name}")

    @task(4)
    def search(self):
        self._list({"q": " ".join(random.sample(WORDS, random.choice([1, 1, 2])))}, "/projects/?q")

    @task(4)
    def project(self):
        if self.slugs:
            self.client.get(f"/projects/{random.choice(self.slugs)}/", name="/projects/<slug>/")

    @task(2)
    def api(self):
        params = {"page_size": 20}
        if CHOICES.get("province"):
            params["province"] = random.choice(CHOICES["province"])
        self.client.get("/api/v1/projects/", params=params, name="/api/v1/projects/")

    @task(1)
    def export(self):
        # What a visitor exports: the projects of a search in one province, not the whole registry.
        params = {"q": random.choice(WORDS)}
        if CHOICES.get("province"):
            params["province"] = random.choice(CHOICES["province"])
        path = random.choice(["/projects/export.csv", "/projects/export.json"])
        self.client.get(path, params=params, name=path)


class CeilingVisitor(HttpUser):
    wait_time = constant(0)  # as fast as the server answers: the most requests a second the stack gives

    @task
    def health(self):
        self.client.get("/healthz", name="/healthz")
