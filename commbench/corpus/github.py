"""github events-like: a list of event dicts, string-heavy (urls, shas, messages, dates)."""

from __future__ import annotations

import random
from typing import Any

from commbench.corpus import Payload

EVENTS = 50
_API = "https://api.github.com"
_LOGINS = (
    "octocat", "torvalds", "gvanrossum", "mitsuhiko", "ijl", "jcrist", "dependabot-preview",
    "kennethreitz", "sindresorhus", "yyx990803", "antirez", "bnoordhuis", "ry", "tj",
)  # fmt: skip
_ORGS = ("python", "rust-lang", "protocolbuffers", "msgpack", "nodejs", "apache", "facebook")
_REPOS = ("core", "cli", "docs", "website", "benchmarks", "parser", "runtime", "sdk", "tools")
_VERBS = ("Fix", "Add", "Update", "Remove", "Refactor", "Bump", "Document", "Speed up", "Test")
_THINGS = (
    "decoder for nested arrays", "README", "CI workflow", "error message on empty input",
    "float formatting", "dependency versions", "unicode handling in keys", "memory leak",
    "benchmarks for large payloads", "typo in docstring", "Windows build", "release notes",
)  # fmt: skip


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def _actor(rng: random.Random, login: str) -> dict[str, Any]:
    return {
        "id": rng.randrange(1, 20_000_000),
        "login": login,
        "gravatar_id": "",
        "url": f"{_API}/users/{login}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{rng.randrange(10**7)}?",
    }


def _commit(rng: random.Random, repo: str) -> dict[str, Any]:
    sha = _sha(rng)
    login = rng.choice(_LOGINS)
    lines = [f"{rng.choice(_VERBS)} {rng.choice(_THINGS)}"]
    if rng.random() < 0.5:
        lines += ["", " ".join(rng.choice(_THINGS) for _ in range(rng.randint(3, 12))) + "."]
    return {
        "sha": sha,
        "author": {"email": f"{login}@users.noreply.github.com", "name": login.title()},
        "message": "\n".join(lines),
        "distinct": rng.random() < 0.9,
        "url": f"{_API}/repos/{repo}/commits/{sha}",
    }


def _payload(rng: random.Random, kind: str, repo: str) -> dict[str, Any]:
    payload: dict[str, Any] = dict.fromkeys(
        ("action", "ref", "ref_type", "master_branch", "description", "push_id", "size",
         "distinct_size", "head", "before"),
    )  # fmt: skip
    payload["commits"] = []
    if kind == "PushEvent":
        commits = [_commit(rng, repo) for _ in range(rng.randint(1, 6))]
        payload.update(
            push_id=rng.randrange(500_000_000, 600_000_000),
            size=len(commits),
            distinct_size=sum(c["distinct"] for c in commits),
            ref=f"refs/heads/{rng.choice(('main', 'master', 'develop', 'fix-float-parsing'))}",
            head=commits[-1]["sha"],
            before=_sha(rng),
            commits=commits,
        )
    elif kind == "CreateEvent":
        payload.update(
            ref=f"v{rng.randint(0, 3)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
            ref_type="tag",
            master_branch="main",
            description=f"{rng.choice(_THINGS).capitalize()} for the {repo.split('/')[1]} project",
        )
    else:
        payload["action"] = "started" if kind == "WatchEvent" else rng.choice(("opened", "closed"))
    return payload


def _event(rng: random.Random, n: int) -> dict[str, Any]:
    kind = rng.choices(("PushEvent", "CreateEvent", "WatchEvent", "IssuesEvent"), (6, 2, 2, 1))[0]
    org = rng.choice(_ORGS) if rng.random() < 0.6 else None
    owner = org or rng.choice(_LOGINS)
    repo = f"{owner}/{rng.choice(_REPOS)}"
    return {
        "id": str(2_489_651_045 + n * 7 + rng.randrange(7)),
        "type": kind,
        "actor": _actor(rng, rng.choice(_LOGINS)),
        "repo": {"id": rng.randrange(10**6, 10**8), "name": repo, "url": f"{_API}/repos/{repo}"},
        "payload": _payload(rng, kind, repo),
        "public": True,
        "created_at": f"2015-01-01T{n // 60 % 24:02d}:{n % 60:02d}:{rng.randrange(60):02d}Z",
        "org": _actor(rng, org) if org else None,
    }


def generate(seed: int) -> Payload:
    """A list of events (message ``GithubEventList``: the top level is a list)."""
    rng = random.Random(seed)
    return Payload(
        name="github",
        value=[_event(rng, n) for n in range(EVENTS)],
        message="GithubEventList",
        source="builtin",
        description=f"github-events-like: a list of {EVENTS} events, string-heavy "
        "(urls, shas, commit messages, dates)",
        params={"seed": seed, "events": EVENTS},
    )
