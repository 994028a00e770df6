"""PBS on a real Redis primary + 2 replicas (end to end, needs root): the latency pools
are measured per member, and after ``WAIT 2`` (W=3, every replica acknowledged) no read
of any member is ever stale, observed or predicted; the rows carry the sweep."""

from __future__ import annotations

import os

import pytest

from commbench.cap import pbs_redis
from commbench.cap.clusters import RedisCluster
from commbench.cap.netns import Network

pytestmark = [pytest.mark.privileged, pytest.mark.slow]


def test_pbs_on_redis_measures_pools_and_never_sees_stale_after_wait_all() -> None:
    assert os.geteuid() == 0, "the cap end-to-end test needs root"
    with Network(3) as net, RedisCluster(net, "async") as cluster:
        result = pbs_redis.measure(cluster, trials=20, samples=60)
    assert result.writes_never_seen == 0
    for name in ("write", "ack", "read"):
        medians = result.latency_ms[name]
        assert len(medians) == 3 and all(0 <= m < 50 for m in medians), (name, medians)
    assert result.observed_stale[3] == [0.0] * len(pbs_redis.T_SWEEP_MS)
    assert result.predicted_stale[3] == [0.0] * len(pbs_redis.T_SWEEP_MS)
    for w in (1, 2):  # probabilities, falling (within Monte-Carlo noise) as t grows
        p = result.predicted_stale[w]
        assert all(0.0 <= x <= 1.0 for x in p) and p[-1] <= p[0] + 0.01
    rows = pbs_redis.rows(result)
    assert [r["params"]["w"] for r in rows] == [1, 2, 3]
    assert rows[0]["metrics"]["k1_stale_closed_form"] == pytest.approx(2 / 3)
    assert rows[2]["metrics"]["t_ms"] == list(pbs_redis.T_SWEEP_MS)
