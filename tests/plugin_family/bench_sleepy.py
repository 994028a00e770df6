import subprocess
import sys
import time

from commbench.transports.peerproc import die_with_parent


def test_sleepy(benchmark):
    # a child of the run, as a peer would be; run with `-- -s` to see its PID
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], preexec_fn=die_with_parent
    )
    print(f"SLEEPY-CHILD {child.pid}", flush=True)
    try:
        benchmark.pedantic(time.sleep, args=(20,), rounds=1, iterations=1)
    finally:
        child.terminate()
        child.wait()
