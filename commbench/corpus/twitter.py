"""twitter.json-like: a search result of statuses, unicode-heavy, nested ~11 deep.

Japanese, Chinese, Korean, emoji and accented text; bools, nulls (optional fields,
absent geo), ints beyond 32 bits; users nested in statuses; entities with lists;
and a retweeted status (with its own user and entities) inside some statuses:
$.statuses[i].retweeted_status.user.entities.description.urls[j].indices[k].
"""

from __future__ import annotations

import random
from typing import Any

from commbench.corpus import Payload

STATUSES = 100
USERS = 70


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_WORDS = {
    "ja": _split(
        "東京 今日 天気 ありがとう こんにちは すごい 写真 新しい 映画 音楽 友達 仕事 週末 "
        "ラーメン コーヒー 楽しみ おはようございます 大阪 桜 電車 アニメ ゲーム "
        "です ました の に を が は で と 一番くじ 可愛い 頑張る 明日 ライブ 最高 フォロー 募集中"
    ),
    "zh": _split("你好 北京 上海 谢谢 朋友 学习 中文 今天 天气 很好 我们 喜欢 吃饭 工作 电影 音乐"),
    "ko": _split("안녕하세요 감사합니다 서울 사랑 오늘 친구 음악 영화 최고 주말"),
    "en": _split(
        "the new photo today with my friends great game music love this week so happy "
        "cafe naïve résumé São Paulo Zürich Москва привет Ελλάδα مرحبا שלום"
    ),
    "emoji": _split("🎉 😀 🚀 ❤️ 👍 🍣 🌸 ✨ 😂 🙏 🎵 ☕"),
}
_LANGS = ("ja", "ja", "ja", "en", "zh", "ko")
_TAGS = ("引越し", "拡散希望", "相互フォロー", "music", "travel", "ラーメン", "桜", "πολύ", "café")
_COLORS = ("C0DEED", "FFFFFF", "0084B4", "333333", "DDEEF6", "F5F8FA", "9AE4E8", "E81C4F")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = _split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec")
_IMG = "http://pbs.twimg.com/profile_images"


def _date(rng: random.Random) -> str:
    return (
        f"{rng.choice(_DAYS)} {rng.choice(_MONTHS)} {rng.randint(1, 28):02d} "
        f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d} +0000 "
        f"{rng.randint(2008, 2014)}"
    )


def _words(rng: random.Random, lang: str, n: int) -> str:
    sep = "" if lang in ("ja", "zh") else " "
    words = [rng.choice(_WORDS[lang]) for _ in range(n)]
    if rng.random() < 0.5:
        words.append(rng.choice(_WORDS["emoji"]))
    return sep.join(words)


def _url(rng: random.Random, start: int) -> dict[str, Any]:
    short = f"http://t.co/{rng.getrandbits(48):012x}"
    site = rng.choice(("example.com", "blog.example.jp", "news.example.org", "shop.example"))
    expanded = f"http://{site}/{rng.randrange(10**6)}"
    return {
        "url": short,
        "expanded_url": expanded,
        "display_url": expanded[7:30],
        "indices": [start, start + len(short)],
    }


def _user(rng: random.Random) -> dict[str, Any]:
    uid = rng.randrange(10**6, 3 * 10**9)
    lang = rng.choice(_LANGS)
    screen = f"{rng.choice(('sakura', 'yuki', 'taro', 'hana', 'kenji', 'mei', 'ren'))}_{uid % 9999}"
    description = _words(rng, lang, rng.randint(10, 40))
    desc_urls = []
    if rng.random() < 0.4:
        desc_urls.append(_url(rng, len(description) + 1))
        description += " " + desc_urls[0]["url"]
    url = _url(rng, 0) if rng.random() < 0.5 else None
    image = f"{_IMG}/{rng.getrandbits(40)}/{screen}_normal.jpeg"
    return {
        "id": uid,
        "id_str": str(uid),
        "name": _words(rng, lang, rng.randint(1, 3)),
        "screen_name": screen,
        "location": _words(rng, lang, 1) if rng.random() < 0.6 else "",
        "description": description,
        "url": url["url"] if url else None,
        "entities": {"url": {"urls": [url]} if url else None, "description": {"urls": desc_urls}},
        "protected": rng.random() < 0.05,
        "followers_count": rng.randrange(20_000),
        "friends_count": rng.randrange(5_000),
        "listed_count": rng.randrange(100),
        "created_at": _date(rng),
        "favourites_count": rng.randrange(10_000),
        "utc_offset": rng.choice((32_400, -36_000, 3_600)) if rng.random() < 0.7 else None,
        "time_zone": rng.choice(("Tokyo", "Irkutsk", "Seoul", "Hawaii"))
        if rng.random() < 0.7
        else None,
        "geo_enabled": rng.random() < 0.3,
        "verified": rng.random() < 0.02,
        "statuses_count": rng.randrange(100_000),
        "lang": lang,
        "contributors_enabled": False,
        "is_translator": False,
        "profile_background_color": rng.choice(_COLORS),
        "profile_background_image_url": "http://abs.twimg.com/images/themes/theme1/bg.png",
        "profile_background_image_url_https": "https://abs.twimg.com/images/themes/theme1/bg.png",
        "profile_background_tile": rng.random() < 0.2,
        "profile_image_url": image,
        "profile_image_url_https": "https" + image[4:],
        "profile_banner_url": f"https://pbs.twimg.com/profile_banners/{uid}/{rng.getrandbits(30)}"
        if rng.random() < 0.5
        else None,
        "profile_link_color": rng.choice(_COLORS),
        "profile_sidebar_border_color": rng.choice(_COLORS),
        "profile_sidebar_fill_color": rng.choice(_COLORS),
        "profile_text_color": rng.choice(_COLORS),
        "profile_use_background_image": rng.random() < 0.9,
        "default_profile": rng.random() < 0.4,
        "default_profile_image": rng.random() < 0.05,
        "following": False,
        "follow_request_sent": False,
        "notifications": False,
    }


def _media(rng: random.Random, start: int) -> dict[str, Any]:
    mid = rng.randrange(5 * 10**17, 6 * 10**17)
    url = _url(rng, start)
    w, h = rng.choice(((1024, 768), (600, 800), (1280, 720)))
    sizes = {
        "medium": {"w": 600, "h": 600 * h // w, "resize": "fit"},
        "small": {"w": 340, "h": 340 * h // w, "resize": "fit"},
        "thumb": {"w": 150, "h": 150, "resize": "crop"},
        "large": {"w": w, "h": h, "resize": "fit"},
    }
    media_url = f"http://pbs.twimg.com/media/{rng.getrandbits(60):015x}.jpg"
    return {
        "id": mid,
        "id_str": str(mid),
        "indices": url["indices"],
        "media_url": media_url,
        "media_url_https": "https" + media_url[4:],
        "url": url["url"],
        "display_url": "pic.twitter.com/" + url["url"][-10:],
        "expanded_url": f"http://twitter.com/i/web/status/{mid}/photo/1",
        "type": "photo",
        "sizes": sizes,
        "source_status_id": None,
        "source_status_id_str": None,
    }


def _status(rng: random.Random, users: list[dict[str, Any]], depth: int = 0) -> dict[str, Any]:
    sid = rng.randrange(5 * 10**17, 6 * 10**17)
    lang = rng.choice(_LANGS)
    user = rng.choice(users)
    retweeted = _status(rng, users, 1) if depth == 0 and rng.random() < 0.6 else None
    entities: dict[str, Any] = {
        "hashtags": [], "symbols": [], "urls": [], "user_mentions": [], "media": [],
    }  # fmt: skip
    text = ""
    if retweeted is not None:
        mentioned = retweeted["user"]
        entities["user_mentions"].append(
            {
                "screen_name": mentioned["screen_name"],
                "name": mentioned["name"],
                "id": mentioned["id"],
                "id_str": mentioned["id_str"],
                "indices": [3, 4 + len(mentioned["screen_name"])],
            }
        )
        text = f"RT @{mentioned['screen_name']}: "
    text += _words(rng, lang, rng.randint(6, 30))
    for _ in range(rng.choice((0, 0, 1, 2))):
        tag = rng.choice(_TAGS)
        entities["hashtags"].append(
            {"text": tag, "indices": [len(text) + 1, len(text) + 2 + len(tag)]}
        )
        text += f" #{tag}"
    if rng.random() < 0.3:
        entities["urls"].append(_url(rng, len(text) + 1))
        text += " " + entities["urls"][-1]["url"]
    if rng.random() < 0.15:
        entities["media"].append(_media(rng, len(text) + 1))
        text += " " + entities["media"][-1]["url"]
    reply = rng.random() < 0.15
    linked = bool(entities["urls"] or entities["media"])
    geo = {"type": "Point", "coordinates": [rng.uniform(30, 45), rng.uniform(128, 145)]}
    geo = geo if rng.random() < 0.05 else None
    return {
        "metadata": {"result_type": "recent", "iso_language_code": lang},
        "created_at": _date(rng),
        "id": sid,
        "id_str": str(sid),
        "text": text,
        "source": '<a href="http://twitter.com/download/iphone" rel="nofollow">Twitter for iPhone</a>',  # noqa: E501
        "truncated": False,
        "in_reply_to_status_id": sid - 12345 if reply else None,
        "in_reply_to_status_id_str": str(sid - 12345) if reply else None,
        "in_reply_to_user_id": user["id"] + 1 if reply else None,
        "in_reply_to_user_id_str": str(user["id"] + 1) if reply else None,
        "in_reply_to_screen_name": "taro_" + str(user["id"] % 977) if reply else None,
        "user": user,
        "geo": geo,
        "coordinates": {"type": "Point", "coordinates": geo["coordinates"][::-1]} if geo else None,
        "retweeted_status": retweeted,
        "retweet_count": retweeted["retweet_count"] if retweeted else rng.randrange(10),
        "favorite_count": rng.randrange(50),
        "entities": entities,
        "favorited": False,
        "retweeted": False,
        "possibly_sensitive": (rng.random() < 0.1) if linked else None,
        "lang": lang,
    }


def generate(seed: int) -> Payload:
    """A search result of STATUSES statuses (message ``TwitterSearch``)."""
    rng = random.Random(seed)
    users = [_user(rng) for _ in range(USERS)]
    statuses = [_status(rng, users) for _ in range(STATUSES)]
    max_id = max(s["id"] for s in statuses)
    value = {
        "statuses": statuses,
        "search_metadata": {
            "completed_in": round(rng.uniform(0.01, 0.2), 3),
            "max_id": max_id,
            "max_id_str": str(max_id),
            "next_results": f"?max_id={min(s['id'] for s in statuses) - 1}&q=%E4%B8%80&count=100",
            "query": "%E4%B8%80",
            "refresh_url": f"?since_id={max_id}&q=%E4%B8%80&include_entities=1",
            "count": STATUSES,
            "since_id": 0,
            "since_id_str": "0",
        },
    }
    return Payload(
        name="twitter",
        value=value,
        message="TwitterSearch",
        source="builtin",
        description=f"twitter-like search result: {STATUSES} statuses, CJK and emoji text, "
        "nulls, nested users and retweets (depth 11)",
        params={"seed": seed, "statuses": STATUSES, "users": USERS},
    )
